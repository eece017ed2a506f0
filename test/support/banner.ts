// Loaded by mocha (.mocharc `require`): says at the start of the suite which accelerator the domains run on.
import { accelerator } from "../../tools/support/accel";

try {
  const a = accelerator();
  console.log(`accelerator: ${a.type} (${a.why})`);
} catch (e) {
  console.log(`accelerator: unknown (virsh capabilities failed: ${(e as Error).message.split("\n")[0]})`);
}
