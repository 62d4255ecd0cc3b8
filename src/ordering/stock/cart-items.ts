/** One line of a cart or an order. */
export interface CartItem {
  food_id: number;
  count: number;
}

/**
 * Carts travel through Redis as "foodId:count,..." in first-entry order (see cart-patch.lua):
 * compact, and cheap to walk in Lua.
 */
export function parseCart(encoded: string): CartItem[] {
  if (encoded === '') return [];
  return encoded.split(',').map((pair) => {
    const [food, count] = pair.split(':');
    return { food_id: Number(food), count: Number(count) };
  });
}

/** Orders keep their items as JSON in MySQL, the shape the API returns. */
export function parseItems(json: string): CartItem[] {
  return JSON.parse(json) as CartItem[];
}
