// A TCP relay, used where two containers must meet across a network while
// Warden serves plain HTTP on loopback only (see docs/DEPLOY.md):
//   node relay.mjs LISTEN_HOST:PORT=TARGET_HOST:PORT ...
// Each accepted connection is piped to a new connection to its target; an
// error on either side closes both. It reads and logs nothing it carries.
import net from "node:net";

function split(hostPort) {
  const i = hostPort.lastIndexOf(":");
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`bad address ${hostPort}: want HOST:PORT`);
  }
  return { host: hostPort.slice(0, i).replace(/^\[|\]$/g, ""), port };
}

const pairs = process.argv.slice(2);
if (pairs.length === 0) {
  console.error("usage: node relay.mjs LISTEN_HOST:PORT=TARGET_HOST:PORT ...");
  process.exit(2);
}
for (const pair of pairs) {
  const [from, to] = pair.split("=");
  const listen = split(from ?? "");
  const target = split(to ?? "");
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on("error", close);
    upstream.on("error", close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on("error", (err) => {
    console.error(`relay ${pair}: ${err.message}`);
    process.exit(1);
  });
  server.listen(listen.port, listen.host, () => console.error(`relay ${from} -> ${to}`));
}
