import type { Pool, PoolClient } from 'pg';

/**
 * `work` in one transaction on a connection of its own from `pool`, opened with `begin` ('BEGIN',
 * 'BEGIN READ ONLY'): committed when it returns, rolled back when it throws. A connection that
 * cannot even roll back is closed, not handed to the next caller.
 */
export async function inTransaction<T>(
  pool: Pool,
  begin: string,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackFailed: Error) => {
      broken = rollbackFailed;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
