// Starts the Firestore emulator library on HOST:PORT (loopback by default).
// The library's own start() binds 0.0.0.0; kindred binds only where it is told.
import { FirestoreServer } from "@firestore-emulator/server";
import { ServerCredentials } from "@grpc/grpc-js";

const [host = "127.0.0.1", port = "8681"] = process.argv.slice(2);
const emulator = new FirestoreServer();
emulator.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    console.error(`firestore emulator: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`firestore emulator listening on ${host}:${bound}`);
});
const stop = () => { emulator.stop(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
