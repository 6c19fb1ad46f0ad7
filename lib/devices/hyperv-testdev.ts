/**
 * hyperv-testdev: QEMU's Hyper-V test device, one 32-bit write-only register
 * at I/O port 0x3000 that lets a test kernel drive its own SynIC:
 *
 *   value = conn_id << 24 | control << 16 | vp_index << 8 | sint
 *
 * controls: 1 SINT route create, 2 SINT route destroy, 3 raise the route's
 * SINT, 4/5 message connection create/destroy (conn_id -> vp/sint),
 * 6/7 event connection create/destroy. Reads return all ones (nothing to read).
 */
import type { PioDevice } from '../machine/bus-device.js';
import type { SynicConnections } from '../hyperv/connections.js';
import type { Synic } from '../hyperv/synic.js';

export const HYPERV_TESTDEV_PORT = 0x3000;
export const HYPERV_TESTDEV_PORT_COUNT = 4;

export const HV_TEST_DEV_SINT_ROUTE_CREATE = 1;
export const HV_TEST_DEV_SINT_ROUTE_DESTROY = 2;
export const HV_TEST_DEV_SINT_ROUTE_SET_SINT = 3;
export const HV_TEST_DEV_MSG_CONN_CREATE = 4;
export const HV_TEST_DEV_MSG_CONN_DESTROY = 5;
export const HV_TEST_DEV_EVT_CONN_CREATE = 6;
export const HV_TEST_DEV_EVT_CONN_DESTROY = 7;

export class HypervTestdev implements PioDevice {
  readonly name = 'hyperv-testdev';
  /** SINT routes, keyed vp << 8 | sint. */
  private readonly routes = new Set<number>();
  /** SINTs raised through routes (tests read it). */
  raised = 0;

  constructor(private readonly synic: Synic, private readonly connections: SynicConnections) {}

  pioRead(_offset: number, _size: number): number {
    return 0xffff_ffff;
  }

  pioWrite(offset: number, size: number, value: number): void {
    if (offset !== 0 || size !== 4) return; // only the whole 32-bit register means anything
    const sint = value & 0xff;
    const vp = (value >>> 8) & 0xff;
    const control = (value >>> 16) & 0xff;
    const conn = value >>> 24;
    const key = (vp << 8) | sint;
    const validTarget = vp < this.synic.vpCount && sint < 16;
    switch (control) {
      case HV_TEST_DEV_SINT_ROUTE_CREATE:
        if (validTarget) this.routes.add(key);
        break;
      case HV_TEST_DEV_SINT_ROUTE_DESTROY:
        this.routes.delete(key);
        break;
      case HV_TEST_DEV_SINT_ROUTE_SET_SINT:
        if (this.routes.has(key) && this.synic.raiseSint(vp, sint)) this.raised++;
        break;
      case HV_TEST_DEV_MSG_CONN_CREATE:
        if (validTarget) this.connections.messages.set(conn, { vp, sint });
        break;
      case HV_TEST_DEV_MSG_CONN_DESTROY:
        this.connections.messages.delete(conn);
        break;
      case HV_TEST_DEV_EVT_CONN_CREATE:
        if (validTarget) this.connections.events.set(conn, { vp, sint });
        break;
      case HV_TEST_DEV_EVT_CONN_DESTROY:
        this.connections.events.delete(conn);
        break;
      default:
        break; // unknown controls are ignored, as on QEMU's device
    }
  }

  reset(): void {
    this.routes.clear();
    this.raised = 0;
  }
}
