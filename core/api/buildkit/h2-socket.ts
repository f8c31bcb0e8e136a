import { Duplex } from 'node:stream';

/**
 * A socket as a plain stream, for node:http2 to run a session over. Given a socket, http2 reads
 * its native handle and misses bytes already read into the socket's own buffer: the h2 preface
 * that came with an engine's 101, or what a client sent with its upgrade request. Through this
 * stream every byte is read in order.
 */
export function h2Socket(socket: Duplex): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
    final: (done) => {
      socket.end();
      done();
    },
    destroy: (err, done) => {
      socket.destroy(err ?? undefined);
      done(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (err) => stream.destroy(err));
  socket.on('close', () => stream.destroy());
  return stream;
}
