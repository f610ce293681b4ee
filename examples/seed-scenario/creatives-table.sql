-- The seed scenario's queue: creatives whose URLs workers fetch. `bulkhead queue init` adds the bookkeeping
-- columns (attempts, locked_by, locked_at, last_error) and the two partial indexes a worker needs.
CREATE TABLE IF NOT EXISTS creatives_fresh (
  id bigserial PRIMARY KEY,
  creative_url text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  result jsonb,
  updated_at timestamptz
);
INSERT INTO creatives_fresh (creative_url)
SELECT 'https://cdn.example.com/creatives/' || g || '.png' FROM generate_series(1, 10000) g;
