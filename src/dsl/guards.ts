import { MESH, hasBrand } from "./brand.js";
import type { MeshModel } from "./model.js";

/** True when `value` is what defineMesh() returned (checked by brand, so it works across copies of the DSL). */
export function isMeshDefinition(value: unknown): value is MeshModel {
  return hasBrand(value, MESH);
}
