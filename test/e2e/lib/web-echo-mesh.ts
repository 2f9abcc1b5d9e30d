// The two-service mesh several e2e tests share (mTLS, Delta, rotation, xDS authentication, workers): web calls echo,
// each with one instance and a sidecar on 127.0.0.1. The tests differ only in the mesh's options and what follows.

export interface SidecarPorts {
  inbound: number;
  app: number;
  admin: number;
  outbound: number;
}

/**
 * mesh.ts source of web -> echo. `options` is the source of defineMesh's options object (name, trust domain, mTLS...);
 * `tail` is DSL statements appended inside the mesh callback (`echo` is in scope).
 */
export function webEchoMesh(p: { web: SidecarPorts; echo: SidecarPorts }, options: string, tail = ""): string {
  const service = (name: string, q: SidecarPorts, calls: string) => `  mesh.service("${name}", {
    ports: { http: http(${q.inbound}, { app: ${q.app} }) },
    instances: ["127.0.0.1:${q.inbound}"],${calls}
    sidecar: { adminPort: ${q.admin}, outboundPort: ${q.outbound}, inboundAddress: "127.0.0.1" },
  });`;
  return `import { defineMesh, http } from "meshc";
export default defineMesh(${options}, (mesh) => {
${service("echo", p.echo, "").replace('  mesh.service("echo"', '  const echo = mesh.service("echo"')}
${service("web", p.web, "\n    calls: [echo],")}
${tail ? `  ${tail}\n` : ""}});
`;
}
