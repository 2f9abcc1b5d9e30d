// invoices calls ledger, whose module is imported but whose service was never added to the mesh.
import { defineMesh, http } from "meshc";
import { ledger } from "./ledger.js";

export default defineMesh({ name: "billing", trustDomain: "billing.example" }, (mesh) => {
  mesh.service("invoices", { // expect: MESH0103
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.3.20:8080"],
    calls: [ledger],
  });
});
