import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { must } from './exec.js';

export interface CertFiles {
  cert: string;
  key: string;
}

/** A test CA made with openssl, and certificates it signs. */
export class TestCa {
  readonly ca: string;

  private constructor(readonly dir: string) {
    this.ca = join(dir, 'ca.pem');
  }

  static async create(dir: string, name = 'skep-test-ca'): Promise<TestCa> {
    mkdirSync(dir, { recursive: true });
    const ca = new TestCa(dir);
    await must('openssl', ['genrsa', '-out', join(dir, 'ca-key.pem'), '2048']);
    await must('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      join(dir, 'ca-key.pem'),
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-out',
      ca.ca,
    ]);
    return ca;
  }

  /** A certificate for `name`, valid for these IP addresses and DNS names, as a server and as a client. */
  async issue(name: string, sans: { ips?: string[]; dns?: string[] } = {}): Promise<CertFiles> {
    const key = join(this.dir, `${name}-key.pem`);
    const csr = join(this.dir, `${name}.csr`);
    const cert = join(this.dir, `${name}-cert.pem`);
    const ext = join(this.dir, `${name}.ext`);
    const alt = [
      ...(sans.ips ?? []).map((ip) => `IP:${ip}`),
      ...(sans.dns ?? []).map((d) => `DNS:${d}`),
    ];
    writeFileSync(
      ext,
      `${alt.length ? `subjectAltName=${alt.join(',')}\n` : ''}extendedKeyUsage=serverAuth,clientAuth\n`,
    );
    await must('openssl', ['genrsa', '-out', key, '2048']);
    await must('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr]);
    await must('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.ca,
      '-CAkey',
      join(this.dir, 'ca-key.pem'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      cert,
    ]);
    return { cert, key };
  }
}
