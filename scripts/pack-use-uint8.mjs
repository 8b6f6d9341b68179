#!/usr/bin/env node
// Placeholder: re-packs USE-lite weights to uint8 (owned by the embeddings work item).
console.log('pack-use-uint8: not implemented yet');
