/** Worker entry: expose the task host (engines + tasks) over comlink, with inpage's error transfer. */
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/wire-errors';
import { TaskHost } from './task-host';

installErrorTransfer();
expose(new TaskHost());
