// Option names are checked: "maxRequest" (circuit breaker) and "retryOn" (retries) do not exist.
import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const payments = mesh.service("payments", { ports: { api: grpc(9090, { app: 9091 }) }, instances: ["10.0.4.10:9090"] });
  mesh.policy(payments, {
    circuitBreaker: { maxRequest: 200 }, // expect: MESH0001
    retries: { attempts: 2, retryOn: ["connect-failure"] }, // expect: MESH0001
  });
});
