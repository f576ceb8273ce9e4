// A Flight server written with @grpc/grpc-js (an independent gRPC and HTTP/2 implementation: node's
// nghttp2, HPACK with Huffman and the dynamic table) for the C# test GrpcJsServerInteropTests, which
// drives it with ArrowCid's own HTTP/2 client. Prints "listening PORT" once bound; exits when stdin closes.
//   DoGet  ticket "COUNT:SIZE"   COUNT FlightData messages, body k of SIZE bytes (byte i = (31*i + k) & 255), app_metadata "msg-k"
//   DoPut                        one PutResult, app_metadata JSON {messages, bytes, sha256} of the data_body bytes received
//   DoAction "echo"              the body back; request header x-echo returned in the trailers
//   GetFlightInfo cmd "fail"     FAILED_PRECONDITION with a non-ASCII message; otherwise total_records 42
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const definition = protoLoader.loadSync(path.join(here, '../../../proto/Flight.proto'), {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const proto = grpc.loadPackageDefinition(definition);
const limit = 128 * 1024 * 1024;
const server = new grpc.Server({ 'grpc.max_receive_message_length': limit, 'grpc.max_send_message_length': limit });

function body(size, k) {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (31 * i + k) & 255;
  return bytes;
}

server.addService(proto.arrow.flight.protocol.FlightService.service, {
  DoGet(call) {
    const [count, size] = Buffer.from(call.request.ticket).toString('utf8').split(':').map(Number);
    for (let k = 0; k < count; k++) {
      call.write({ data_header: Buffer.from([k]), data_body: body(size, k), app_metadata: Buffer.from(`msg-${k}`) });
    }
    call.end();
  },
  DoPut(call) {
    const hash = crypto.createHash('sha256');
    let messages = 0;
    let bytes = 0;
    call.on('data', (data) => {
      messages++;
      bytes += data.data_body.length;
      hash.update(data.data_body);
    });
    call.on('end', () => {
      call.write({ app_metadata: Buffer.from(JSON.stringify({ messages, bytes, sha256: hash.digest('hex') })) });
      call.end();
    });
  },
  DoAction(call) {
    const trailers = new grpc.Metadata();
    const echo = call.metadata.get('x-echo');
    if (echo.length > 0) trailers.set('x-echo', echo[0]);
    call.write({ body: call.request.body });
    call.end(trailers);
  },
  GetFlightInfo(call, callback) {
    if (Buffer.from(call.request.cmd).toString('utf8') === 'fail') {
      callback({ code: grpc.status.FAILED_PRECONDITION, details: 'not today: ünïcødé ✓' });
      return;
    }
    callback(null, { total_records: '42', total_bytes: '-1' });
  },
});

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(error);
    process.exit(1);
  }
  console.log(`listening ${port}`);
});
process.stdin.on('end', () => server.tryShutdown(() => process.exit(0)));
process.stdin.resume();
