-- An outbox claim records its holder: a delivery is recorded (sent, failed,
-- lease renewed or released) only by the claim that still holds the message,
-- so a replica whose lease ran out and was re-claimed cannot mark it too.
ALTER TABLE outbox ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
