// Stands in for `@tauri-apps/api/core` in tests: each command answers from a table the test sets.
import { vi } from "vitest";

export const invoke = vi.fn();

/** Like Tauri's Channel: the test plays the Rust side by calling `onmessage`. */
export class Channel<T> {
  onmessage: (message: T) => void = () => {};
}

type Handler = (args: Record<string, unknown>) => unknown;

/**
 * Makes `invoke` answer each command from `handlers`: a function is called with the
 * command's arguments (throw `{ code, message }` to fail it), anything else is returned.
 * A command the test did not expect fails loudly.
 */
export function answer(handlers: Record<string, unknown>): void {
  invoke.mockImplementation(async (command: string, args: Record<string, unknown> = {}) => {
    if (!(command in handlers)) throw new Error(`the test did not expect the command ${command}`);
    const handler = handlers[command];
    return typeof handler === "function" ? (handler as Handler)(args) : handler;
  });
}

/** The arguments of every call of `command`, in order. */
export function callsOf(command: string): Record<string, unknown>[] {
  return invoke.mock.calls.filter(([name]) => name === command).map(([, args]) => args ?? {});
}

/** The commands called so far, in order. */
export function commandOrder(): string[] {
  return invoke.mock.calls.map(([name]) => name as string);
}
