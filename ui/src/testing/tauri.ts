// Stands in for `@tauri-apps/api/core` in tests: each command answers from a table the test sets.
import { vi } from "vitest";

/** Commands called that the test gave no answer for, since the last check. */
const unexpected: string[] = [];

function refuse(command: string): never {
  unexpected.push(command);
  throw new Error(`the test did not expect the command ${command}`);
}

/** Refuses every command until the test answers them with `answer`; `mockReset` brings that back. */
export const invoke = vi.fn(async (command: string, _args: Record<string, unknown> = {}): Promise<unknown> => refuse(command));

/** Like Tauri's Channel: the test plays the Rust side by calling `onmessage`. */
export class Channel<T> {
  onmessage: (message: T) => void = () => {};
}

type Handler = (args: Record<string, unknown>) => unknown;

/**
 * Makes `invoke` answer each command from `handlers`: a function is called with the
 * command's arguments (throw `{ code, message }` to fail it), anything else is returned.
 * A command the test did not expect fails the test, even when the app catches the error.
 */
export function answer(handlers: Record<string, unknown>): void {
  invoke.mockImplementation(async (command: string, args: Record<string, unknown> = {}) => {
    if (!(command in handlers)) refuse(command);
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

/**
 * Fails if any command was called that the test gave no answer for, and starts counting again.
 * The app catches a refused command like any failed one and may show nothing, so the refusal
 * alone would let the test pass.
 */
export function expectOnlyAnsweredCommands(): void {
  const called = [...new Set(unexpected.splice(0))];
  if (called.length) throw new Error(`the test did not expect the command${called.length > 1 ? "s" : ""} ${called.join(", ")}`);
}
