// A worker lists itself among the services it calls (warning only).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "jobs", trustDomain: "jobs.example" }, (mesh) => {
  const worker = mesh.service("worker", { // expect: MESH0106
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.9.10:8080", "10.0.9.11:8080"],
  });
  mesh.calls(worker, [worker]);
});
