#!/usr/bin/env node
// The `chorus` command runs the compiled CLI; `npm install` builds it (prepare).
import '../dist/api/cli/chorus.js';
