/**
 * **redis-director** distributes payloads from one Redis queue to many
 * subscribers (destination keys) by weighted random choice, with back
 * pressure: each subscriber's score is its weight, kept within
 * `[minScore, maxScore]`; deliveries lower the receiver's score, and the
 * subscriber side raises it again when it has room.
 *
 * It talks to Redis only through the Upstash REST API with `@upstash/redis`,
 * so it runs on Deno Deploy, Cloudflare Workers, Bun, Vercel and Node. A
 * publish with generic handlers is one HTTP request, whatever the number of
 * payloads and subscribers, and no payload is lost or duplicated.
 *
 * @example Publish 100 payloads to two routes
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({
 *   redis: Redis.fromEnv(),
 *   scoreKey: "app:scores",
 *   queueKey: "app:queue",
 * });
 * pub.addSubscriber("route_1", { handler: genericSetHandler("route_1:queue", -1) })
 *   .addSubscriber("route_2", { handler: genericSetHandler("route_2:queue", -1) });
 *
 * await pub.addPayloads(...Array.from({ length: 1000 }, (_, i) => i));
 * const report = await pub.publish(100);
 * console.log(report.bySubscriber, `in ${report.requests} request`);
 * ```
 *
 * @module
 */

export {
  DirectorError,
  InvalidArgumentError,
  NoSubscribersError,
  PublishError,
  RedisRequestError,
  WrongTypeError,
} from "./src/errors.ts";
export {
  type BatchCommand,
  type BatchValue,
  type GenericHandler,
  genericListHandler,
  genericSetHandler,
  type Handler,
  HandlerBatch,
} from "./src/handlers.ts";
export { type AddSubscriberOptions, Publisher, type PublisherOptions } from "./src/publisher.ts";
export type { RandomSource } from "./src/random.ts";
export type { DirectorRedis, ScriptPipeline } from "./src/redis.ts";
export type {
  DirectorStatus,
  PublishFailure,
  PublishMode,
  PublishReport,
  RecoverReport,
  ScoreChange,
  StopReason,
  SubscriberStatus,
} from "./src/report.ts";
export { type ScoreOptions, Subscriber, type SubscriberOptions } from "./src/subscriber.ts";
export { LIMITS } from "./src/validate.ts";
