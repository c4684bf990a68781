import { Injectable } from '@nestjs/common';

/** Set once the instance starts shutting down: readiness and upgrades answer 503 from then on. */
@Injectable()
export class DrainState {
  draining = false;
}
