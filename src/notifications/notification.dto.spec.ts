import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { acceptBatch, acceptBroadcast, acceptUserNotification, BatchNotificationsDto, BroadcastNotificationDto, UserNotificationDto } from './notification.dto.js';

/** Values near the DTOs' shape, valid and not: the fast checks must never accept what class-validator refuses. */
const str = fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('', 'order.shipped', 'a', 'A', 'x'.repeat(64), 'x'.repeat(65), 'é', '😀'.repeat(130)));
const anyValue = fc.oneof(str, fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean(), fc.array(str, { maxLength: 3 }), fc.dictionary(str, str, { maxKeys: 3 }));
const body = fc.record(
  {
    event: fc.oneof(str, anyValue, fc.stringMatching(/^[a-z0-9_.:-]{1,64}$/)),
    payload: fc.oneof(anyValue, fc.dictionary(str, anyValue, { maxKeys: 4 })),
    idempotencyKey: fc.oneof(str, anyValue),
    userIds: fc.oneof(anyValue, fc.array(str, { minLength: 0, maxLength: 5 }), fc.array(fc.constant('u'), { minLength: 999, maxLength: 1002 })),
  },
  { requiredKeys: [] },
);

const validates = (cls: new () => object, value: unknown) => validateSync(plainToInstance(cls, value as object)).length === 0;

describe('notification DTO fast checks', () => {
  it('accept only what class-validator accepts, and keep every field', () => {
    fc.assert(
      fc.property(body, (value) => {
        const user = acceptUserNotification(value);
        if (user) {
          expect(validates(UserNotificationDto, value)).toBe(true);
          expect(user).toBeInstanceOf(UserNotificationDto);
          expect(user).toMatchObject(Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)));
        }
        const all = acceptBroadcast(value);
        if (all) {
          expect(validates(BroadcastNotificationDto, value)).toBe(true);
          expect(all).toBeInstanceOf(BroadcastNotificationDto);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('accept a batch only when class-validator accepts every item', () => {
    const valid = fc.record({ userIds: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }), event: fc.stringMatching(/^[a-z0-9_.:-]{1,64}$/) });
    fc.assert(
      fc.property(fc.array(fc.oneof(valid, valid, body), { minLength: 0, maxLength: 4 }), (items) => {
        const dto = acceptBatch({ items });
        if (dto) {
          expect(validates(BatchNotificationsDto, { items })).toBe(true);
          expect(dto.items.every((item) => item instanceof UserNotificationDto)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    expect(acceptBatch({ items: [{ userIds: ['a'], event: 'e' }] })).toBeDefined();
    expect(acceptBatch({ items: [] })).toBeUndefined();
  });

  it('accept the common valid bodies (else the fast path is never taken)', () => {
    expect(acceptUserNotification({ userIds: ['alice'], event: 'order.shipped', payload: { id: 1 }, idempotencyKey: 'k' })).toBeDefined();
    expect(acceptUserNotification({ userIds: Array(1000).fill('u'), event: 'e' })).toBeDefined();
    expect(acceptBroadcast({ event: 'e' })).toBeDefined();
    expect(acceptUserNotification({ userIds: [], event: 'e' })).toBeUndefined();
    expect(acceptBroadcast({ event: 'E' })).toBeUndefined();
    expect(acceptBroadcast([{ event: 'e' }])).toBeUndefined();
  });
});
