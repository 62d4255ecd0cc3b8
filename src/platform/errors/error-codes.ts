/** Every error code either transport can return. Adding one without mapping it fails to compile. */
export enum ErrorCode {
  // Ordering API (the 2015 contest's codes, exact)
  INVALID_ACCESS_TOKEN = 'INVALID_ACCESS_TOKEN',
  USER_AUTH_FAIL = 'USER_AUTH_FAIL',
  EMPTY_REQUEST = 'EMPTY_REQUEST',
  MALFORMED_JSON = 'MALFORMED_JSON',
  CART_NOT_FOUND = 'CART_NOT_FOUND',
  NOT_AUTHORIZED_TO_ACCESS_CART = 'NOT_AUTHORIZED_TO_ACCESS_CART',
  FOOD_NOT_FOUND = 'FOOD_NOT_FOUND',
  FOOD_OUT_OF_LIMIT = 'FOOD_OUT_OF_LIMIT',
  FOOD_OUT_OF_STOCK = 'FOOD_OUT_OF_STOCK',
  ORDER_OUT_OF_LIMIT = 'ORDER_OUT_OF_LIMIT',
  EMPTY_CART = 'EMPTY_CART',
  // Voting API
  TICKET_INVALID = 'TICKET_INVALID',
  TICKET_EXHAUSTED = 'TICKET_EXHAUSTED',
  USER_NOT_FOUND = 'USER_NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  QUERY_TOO_LARGE = 'QUERY_TOO_LARGE',
  GRAPHQL_PARSE_FAILED = 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED',
  // Abuse limits
  TOO_MANY_ATTEMPTS = 'TOO_MANY_ATTEMPTS',
  // Transport and infrastructure
  BAD_REQUEST = 'BAD_REQUEST',
  REQUEST_TIMEOUT = 'REQUEST_TIMEOUT',
  HEADERS_TOO_LARGE = 'HEADERS_TOO_LARGE',
  EXPECTATION_FAILED = 'EXPECTATION_FAILED',
  NOT_FOUND = 'NOT_FOUND',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_ERROR = 'INTERNAL_ERROR',
}

export interface ErrorSpec {
  /** HTTP status on the REST transport (GraphQL errors always travel in a 200). */
  readonly status: number;
  /** Default message; the contest's codes carry the contest's exact Chinese messages. */
  readonly message: string;
}

/** The one place where codes meet statuses and messages, for REST and GraphQL alike. */
export const ERROR_CATALOG: Readonly<Record<ErrorCode, ErrorSpec>> = {
  INVALID_ACCESS_TOKEN: { status: 401, message: '无效的令牌' },
  USER_AUTH_FAIL: { status: 403, message: '用户名或密码错误' },
  EMPTY_REQUEST: { status: 400, message: '请求体为空' },
  MALFORMED_JSON: { status: 400, message: '格式错误' },
  CART_NOT_FOUND: { status: 404, message: '篮子不存在' },
  NOT_AUTHORIZED_TO_ACCESS_CART: { status: 401, message: '无权限访问指定的篮子' },
  FOOD_NOT_FOUND: { status: 404, message: '食物不存在' },
  FOOD_OUT_OF_LIMIT: { status: 403, message: '篮子中食物数量超过了三个' },
  FOOD_OUT_OF_STOCK: { status: 403, message: '食物库存不足' },
  ORDER_OUT_OF_LIMIT: { status: 403, message: '每个用户只能下一单' },
  EMPTY_CART: { status: 403, message: '篮子为空' },
  TICKET_INVALID: { status: 400, message: 'ticket 失效' },
  TICKET_EXHAUSTED: { status: 429, message: 'ticket 使用次数已达上限' },
  USER_NOT_FOUND: { status: 404, message: '用户不存在' },
  BAD_USER_INPUT: { status: 400, message: '输入不合法' },
  QUERY_TOO_LARGE: {
    status: 400,
    message: 'The document exceeds a limit (size, tokens, fields or depth); nothing of it ran',
  },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The document does not parse as GraphQL' },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    message: 'The document does not validate against the schema',
  },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    message: 'Too many failed logins for this username; try again later',
  },
  BAD_REQUEST: { status: 400, message: 'Malformed request' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers too large' },
  EXPECTATION_FAILED: { status: 417, message: 'Only `Expect: 100-continue` is supported' },
  NOT_FOUND: { status: 404, message: 'Route not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed on this path' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body exceeds 64 KiB' },
  SERVICE_UNAVAILABLE: {
    status: 503,
    message: 'A backing service (Redis or MySQL) is unavailable; nothing was applied',
  },
  INTERNAL_ERROR: { status: 500, message: 'Internal error' },
};
