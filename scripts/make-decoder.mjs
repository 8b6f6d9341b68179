#!/usr/bin/env node
// Placeholder: generates the GPT-2-architecture decoder (owned by the generation work item).
console.log('make-decoder: not implemented yet');
