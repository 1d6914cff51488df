import { TRPCClientError } from "@trpc/client";

/** The public error code a call failed with (`not_found`, …); undefined when it succeeded. */
export async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    if (error instanceof TRPCClientError) return (error.data as { error?: { code: string } }).error?.code;
    throw error;
  }
  return undefined;
}
