import type { Command } from "@commander-js/extra-typings";
export function register(program: Command): void { void program; }
