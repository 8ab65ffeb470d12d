/**
 * The spec's hostile setting values through a real systemd's EnvironmentFile= (test/spec/custom-data.test.ts),
 * on the boot suite's cached Debian 12 root (systemd 252). The suite skips that one case where no
 * root is built (CI builds the root after the suite); here it must run.
 */
import { BOOT_TESTS, bootRoot } from '../support/boot';

if (BOOT_TESTS) {
  process.env.ROOTFS = bootRoot();
  process.env.ASE_REQUIRE_SYSTEMD = '1';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../spec/custom-data.test');
} else {
  test.skip('the boot suites run only with ASE_BOOT_TESTS=1 (npm run test:boot)', () => undefined);
}
