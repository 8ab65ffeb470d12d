/**
 * The VM-side programs are read from the files beside their renderers, and a value both sides
 * rely on (an exit status, a default path, a length) is written in the program as a literal that
 * the renderer names: a program that no longer carries it stops the module from loading.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PERMANENT_FAILURE_EXIT, RETRY_SCRIPT, SERVICE_VM_DIR } from '../../lib/compute/cloud-init';
import { readVmProgram, VmProgramDriftError } from '../../lib/core/vm-program';
import { AGENT_SCRIPT, FRONT_VM_DIR } from '../../lib/front/agent';
import { tempDir } from '../helpers';
import { vmProgram } from '../support/vm-programs';

test('the renderers read the files in the repository (lib/compute/vm/, lib/front/vm/), unchanged', () => {
  expect(SERVICE_VM_DIR).toBe(join(__dirname, '../../lib/compute/vm'));
  expect(FRONT_VM_DIR).toBe(join(__dirname, '../../lib/front/vm'));
  expect(RETRY_SCRIPT).toBe(readFileSync(vmProgram('service', 'retry.sh'), 'utf8'));
  expect(AGENT_SCRIPT).toBe(readFileSync(vmProgram('front', 'front-agent.sh'), 'utf8'));
});

test('a program that no longer carries a value its renderer relies on is refused, naming the file and every missing text', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'retry.sh'), readFileSync(vmProgram('service', 'retry.sh'), 'utf8').replace(/\b65\b/g, '66'));
  const carries = [`    ${PERMANENT_FAILURE_EXIT}) record "failed`, `exit ${PERMANENT_FAILURE_EXIT} ;;`];
  expect(() => readVmProgram(dir, 'retry.sh', carries)).toThrow(VmProgramDriftError);
  expect(() => readVmProgram(dir, 'retry.sh', carries)).toThrow(`${join(dir, 'retry.sh')} no longer contains "    65) record \\"failed", "exit 65 ;;"`);
  // the file as it is carries both
  expect(readVmProgram(SERVICE_VM_DIR, 'retry.sh', carries)).toBe(RETRY_SCRIPT);
});
