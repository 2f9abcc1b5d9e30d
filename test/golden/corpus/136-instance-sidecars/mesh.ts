// Instances with their own sidecar ports (issue 13): two instances of web on one host whose sidecars share an admin
// port, own ports on a proxyless client, and an app port for a port name web lacks (built at run time).
import { defineMesh, grpc, http } from "meshc";

const portName = ["wbe"][0]!;

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { rpc: grpc(9090, { app: 3090 }) }, instances: ["10.0.0.6:9090"] });
  mesh.service("web", { // expect: MESH0236
    ports: { web: http(8080, { app: 3000 }) },
    instances: [
      { address: "127.0.0.1", ports: { web: 8081 }, sidecar: { adminPort: 15100, outboundPort: 15101, app: { web: 3001 } } },
      { address: "127.0.0.1", ports: { web: 8082 }, sidecar: { adminPort: 15100, outboundPort: 15102, app: { web: 3002 } } },
    ],
    calls: [api],
  });
  mesh.service("admin", { // expect: MESH0238
    ports: { web: http(8090, { app: 3090 }) },
    instances: [{ address: "10.0.0.9", sidecar: { app: { [portName]: 3091 } } }],
    calls: [api],
  });
  mesh.service("client", { // expect: MESH0237
    ports: {},
    instances: [{ address: "10.0.0.7", port: 9000, sidecar: { adminPort: 15200 } }],
    calls: [api],
    proxyless: true,
  });
});
