import test from 'ava';
import { clusterApiRange, compareVersions, versionedPath } from '../../core/cluster/api-version.js';

test('versions compare numerically, not as text', (t) => {
  t.true(compareVersions('1.9', '1.41') < 0);
  t.is(compareVersions('1.41', '1.41'), 0);
  t.true(compareVersions('2.0', '1.99') > 0);
});

test("a request is sent at the client's version, clamped to the engine's", (t) => {
  t.is(versionedPath('/containers/json', '1.41', '1.41'), 'v1.41/containers/json');
  t.is(versionedPath('/containers/json', '1.30', '1.41'), 'v1.30/containers/json');
  t.is(versionedPath('containers/json', '1.45', '1.41'), 'v1.41/containers/json');
  t.is(versionedPath('/containers/json', undefined, '1.41'), 'containers/json');
});

test('the cluster promises what every engine speaks, and no more than Skep does', (t) => {
  t.deepEqual(
    clusterApiRange([
      { ApiVersion: '1.41', MinAPIVersion: '1.12' },
      { ApiVersion: '1.43', MinAPIVersion: '1.24' },
    ]),
    { max: '1.41', min: '1.24' },
  );
  t.deepEqual(clusterApiRange([{ ApiVersion: '1.52', MinAPIVersion: '1.44' }]), { max: '1.47', min: '1.44' });
  t.deepEqual(clusterApiRange([]), { max: '1.41', min: '1.24' });
});
