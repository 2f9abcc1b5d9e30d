// The search team declares its service on its own; the mesh has to mesh.add() it.
import { defineService, http } from "meshc";

export const search = defineService("search", {
  ports: { web: http(8080, { app: 3000 }) },
  instances: ["10.0.5.10:8080", "10.0.5.11:8080"],
});
