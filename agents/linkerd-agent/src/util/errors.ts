// A readable message from anything thrown (client-node rejects with non-Error values at times).
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err)
    return String((err as { message: unknown }).message);
  return typeof err === 'string' ? err : 'unknown error';
}
