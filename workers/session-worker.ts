/** Worker entry: expose the task host (engines + tasks) over comlink, with inpage's error transfer. */
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/wire-errors';
import { countEvaluation } from './evaluations';
import { TaskHost } from './task-host';
import { guardDeviceLoss } from './device-loss';

// A second evaluation in the same worker must not add a second handler (each call would
// be answered twice); it is counted, and reported by `environment()`.
if (countEvaluation() === 1) {
  installErrorTransfer();
  expose(guardDeviceLoss(new TaskHost()));
}
