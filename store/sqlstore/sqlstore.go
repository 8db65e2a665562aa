package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idbridge/idbridge/store"
)

// Conn is one open transaction of a backend's driver.
type Conn interface {
	// Exec runs a statement and returns the number of rows it affected.
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	// QueryRow returns a row whose Scan reports the query's error, including "no rows".
	QueryRow(ctx context.Context, sql string, args ...any) Row
}

// Rows is the result of Conn.Query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is the result of Conn.QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// Dialect is what differs between the backends' SQL.
type Dialect struct {
	// ShareLock and UpdateLock are appended to a SELECT that reads with
	// store.LockShare or store.LockUpdate (PostgreSQL " FOR KEY SHARE" and
	// " FOR UPDATE"; empty on SQLite, whose writers are serialized).
	ShareLock, UpdateLock string
	// SkipLocked follows UpdateLock in ClaimOutbox (PostgreSQL " SKIP LOCKED").
	SkipLocked string
	// Time encodes a time argument: PostgreSQL a time.Time for timestamptz,
	// SQLite int64 unix microseconds. Scanning accepts either.
	Time func(time.Time) any
	// Fold wraps a column or placeholder for a case-insensitive comparison
	// the way the unique index folds it: PostgreSQL lower(x), SQLite x
	// (the column is COLLATE NOCASE, and SQLite compares with the left
	// operand's collation).
	Fold func(expr string) string
	// Exact wraps a column for a case-exact comparison: PostgreSQL x, SQLite
	// x COLLATE BINARY (else a NOCASE column would ignore case).
	Exact func(expr string) string
	// Binary makes a text expression sort and compare byte-wise: PostgreSQL
	// (x) COLLATE "C", SQLite x (an expression that is not a column has
	// the BINARY collation).
	Binary func(expr string) string
	// Err translates every error the driver returns: no rows is
	// store.ErrNotFound; a unique violation a *store.ConflictError; a foreign
	// key violation ErrForeignKey; serialization failure or deadlock wraps
	// store.ErrRetry; a lost or closed database wraps store.ErrUnavailable;
	// anything else is returned unchanged.
	Err func(error) error
	// JSON reads the JSON documents SCIM filters look into (scimjson.go).
	JSON JSON
	// JSONArrayAgg is an aggregate collecting expr, ordered by expr, into
	// the text of a JSON array (NULL or "[]" over no rows): PostgreSQL
	// json_agg(expr ORDER BY expr)::text, SQLite json_group_array(expr ORDER BY expr).
	// It loads an org with its domains in one statement.
	JSONArrayAgg func(expr string) string
	// EventHorizon is an expression the txn of every event a reader may see
	// is below: PostgreSQL the oldest running transaction's id (events of
	// running transactions may commit later with a smaller position); ""
	// on SQLite, whose writers commit in position order.
	EventHorizon string
}

// ErrForeignKey is what Dialect.Err returns for a foreign key violation: a
// referenced row does not exist. Methods that know what the reference means
// turn it into a better error (group members: *store.InvalidError).
var ErrForeignKey = fmt.Errorf("%w: referenced row does not exist", store.ErrNotFound)

// Tx implements store.Tx over one backend transaction.
type Tx struct {
	c        Conn
	d        *Dialect
	readOnly bool
}

var _ store.Tx = (*Tx)(nil)

// New returns the store.Tx of one open read-write transaction.
func New(c Conn, d *Dialect) *Tx { return &Tx{c: c, d: d} }

// NewReadOnly returns the store.Tx of one read-only transaction: it ignores
// Lock arguments, as a read-only snapshot takes no row locks (PostgreSQL
// refuses them there).
func NewReadOnly(c Conn, d *Dialect) *Tx { return &Tx{c: c, d: d, readOnly: true} }

// err translates a driver error; op names the method for internal errors.
func (t *Tx) err(op string, err error) error {
	if err == nil {
		return nil
	}
	err = t.d.Err(err)
	for _, kind := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInvalid, store.ErrRetry, store.ErrUnavailable, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, kind) {
			return err
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (t *Tx) exec(ctx context.Context, op, q string, args ...any) (int64, error) {
	n, err := t.c.Exec(ctx, q, args...)
	return n, t.err(op, err)
}

// execOne runs a statement that must affect a row; none is store.ErrNotFound.
func (t *Tx) execOne(ctx context.Context, op, q string, args ...any) error {
	n, err := t.exec(ctx, op, q, args...)
	if err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}

// queryAll runs q and calls scan for each row.
func (t *Tx) queryAll(ctx context.Context, op, q string, args []any, scan func(Rows) error) error {
	rows, err := t.c.Query(ctx, q, args...)
	if err != nil {
		return t.err(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return t.err(op, err)
		}
	}
	return t.err(op, rows.Err())
}

// lock is the row-lock clause for l; of names the locked table alias in a join.
func (t *Tx) lock(l store.Lock, of string) string {
	var s string
	if t.readOnly {
		return ""
	}
	switch l {
	case store.LockShare:
		s = t.d.ShareLock
	case store.LockUpdate:
		s = t.d.UpdateLock
	}
	if s != "" && of != "" {
		s += " OF " + of
	}
	return s
}

// args collects bound values and hands out their placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// list binds each value and returns "$i, $j, ...".
func (a *args) list(vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(v)
	}
	return strings.Join(ph, ", ")
}

// limit is a LIMIT value; 0 or less means no limit (SQLite needs a LIMIT before an OFFSET).
func limit(n int) int {
	if n <= 0 {
		return math.MaxInt32
	}
	return n
}

// chunkSize bounds the values bound in one statement (SQLite and
// PostgreSQL both cap the number of parameters).
const chunkSize = 500

func chunks[T any](vs []T, f func([]T) error) error {
	for len(vs) > 0 {
		n := min(len(vs), chunkSize)
		if err := f(vs[:n]); err != nil {
			return err
		}
		vs = vs[n:]
	}
	return nil
}

// id returns the canonical form of a UUID; a malformed one is store.ErrNotFound.
func id(s string) (string, error) {
	u, err := uuid.Parse(s)
	if err != nil {
		return "", store.ErrNotFound
	}
	return u.String(), nil
}

// ids validates several ids at once.
func ids(ss ...*string) error {
	for _, s := range ss {
		v, err := id(*s)
		if err != nil {
			return err
		}
		*s = v
	}
	return nil
}

// optID is a nullable id: "" is NULL.
func optID(s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	return id(s)
}

// validIDs keeps the well-formed ids, canonical; malformed ones match no row anyway.
func validIDs(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if v, err := id(s); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func (t *Tx) time(v time.Time) any { return t.d.Time(v.UTC().Truncate(time.Microsecond)) }

func (t *Tx) optTime(v *time.Time) any {
	if v == nil {
		return nil
	}
	return t.time(*v)
}

// optText is a nullable text: "" is NULL.
func optText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// optJSON is a nullable JSON document: empty is NULL.
func optJSON(j json.RawMessage) any {
	if len(j) == 0 {
		return nil
	}
	return string(j)
}

// timeScan scans a timestamptz (time.Time) or unix microseconds (int64), in UTC.
type timeScan struct{ t *time.Time }

func (s timeScan) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*s.t = v.UTC()
	case int64:
		*s.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

// nullTimeScan scans a nullable time into a *time.Time.
type nullTimeScan struct{ t **time.Time }

func (s nullTimeScan) Scan(src any) error {
	if src == nil {
		*s.t = nil
		return nil
	}
	var v time.Time
	if err := (timeScan{&v}).Scan(src); err != nil {
		return err
	}
	*s.t = &v
	return nil
}

// textScan scans a nullable text or uuid column; NULL is "".
type textScan struct{ s *string }

func (s textScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.s = ""
	case string:
		*s.s = v
	case []byte:
		*s.s = string(v)
	case [16]byte:
		*s.s = uuid.UUID(v).String()
	default:
		return fmt.Errorf("scan text: unexpected %T", src)
	}
	return nil
}

// jsonScan scans a nullable JSON document; NULL is nil.
type jsonScan struct{ j *json.RawMessage }

func (s jsonScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.j = nil
	case string:
		*s.j = json.RawMessage(v)
	case []byte:
		*s.j = append(json.RawMessage(nil), v...)
	default:
		return fmt.Errorf("scan json: unexpected %T", src)
	}
	return nil
}

// likePattern is a LIKE pattern matching s as a lower-case substring, with
// the wildcard characters escaped for ESCAPE '\'.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}
