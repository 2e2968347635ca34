import { transferHandlers, type TransferHandler } from 'comlink';
import { FramepipeError, isFramepipeError, type SerializedFramepipeError } from '../errors';

type Wire = { fp: true; value: SerializedFramepipeError } | { fp: false; value: unknown };

let installed = false;

/**
 * Comlink's built-in `throw` handler turns every thrown value into a plain `Error` (name, message, stack), losing
 * `code`. This wraps it so FramepipeError crosses the worker boundary intact; TypeError/RangeError keep their
 * class too. Must be installed on both sides; idempotent.
 */
export function installComlinkErrorHandler(): void {
  if (installed) return;
  installed = true;
  const base = transferHandlers.get('throw') as TransferHandler<unknown, unknown>;
  const handler: TransferHandler<unknown, Wire> = {
    canHandle: (v): v is unknown => base.canHandle(v),
    serialize: (thrown) => {
      const value = (thrown as { value: unknown }).value;
      if (isFramepipeError(value)) return [{ fp: true, value: (value as FramepipeError).toJSON() }, []];
      if (value instanceof TypeError || value instanceof RangeError) {
        return [{ fp: false, value: { kind: value.name, message: value.message } }, []];
      }
      const [wire, transfer] = base.serialize(thrown);
      return [{ fp: false, value: wire }, transfer];
    },
    deserialize: (wire) => {
      if (wire.fp) throw FramepipeError.fromJSON(wire.value);
      const v = wire.value as { kind?: string; message?: string };
      if (v && (v.kind === 'TypeError' || v.kind === 'RangeError')) throw v.kind === 'TypeError' ? new TypeError(v.message) : new RangeError(v.message);
      return base.deserialize(wire.value);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
