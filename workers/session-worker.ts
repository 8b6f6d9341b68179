/** Worker entry: expose the engine host over comlink, with inpage's error transfer. */
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/wire-errors';
import { EngineHost } from './engine-host';

installErrorTransfer();
expose(new EngineHost());
