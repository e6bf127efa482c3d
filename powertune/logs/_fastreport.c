/* The compiled fast path of powertune.logs.bulk: one pass over a buffer of log lines that
 * reads every line in exactly one of the two REPORT shapes Lambda writes today, counts the START
 * and END lines in Lambda's shape, skips every line that cannot be a platform record without
 * looking at it twice, and flags the rest for the general parser.
 *
 * Skipping: the general parser reads a record (or finds a malformed one) only where a record's
 * text can begin: at the line start, or after the prefix tokens its _PREFIX reads (see
 * may_be_record). Every other line is counted as ignored, which is what the general parser
 * would make of it, after a few byte comparisons; lines that start with '{' or a blank are
 * searched for the NEEDLES instead ("REPORT", "START", "END", "platform.", or a JSON "\\u"
 * escape that could spell one).
 *
 * A line may start with one ISO 8601 timestamp and blanks (CloudWatch exports to S3, `aws logs
 * tail`): the general parser's _PREFIX reads exactly that much of such a line, since no other
 * prefix token starts with the letters or '{' the shapes start with.
 *
 * It reads as REPORTs, STARTs and ENDs exactly the lines bulk.py's numpy engine reads so (bulk.py
 * has the rules; a test compares the two line by line), and the same values:
 *
 *   REPORT RequestId: ID\tDuration: F ms\tBilled Duration: I ms\tMemory Size: I MB\t
 *     Max Memory Used: I MB\t[Init Duration: F ms\t][Status: S\t]                     (one line)
 *   {"time":"T","type":"platform.report","record":{"requestId":"ID","metrics":{"durationMs":F,
 *     "billedDurationMs":I,"memorySizeMB":I,"maxMemoryUsedMB":I[,"initDurationMs":F]}
 *     [,"status":"S"]}}                                                                (one line)
 *   START RequestId: ID Version: V          END RequestId: ID                       (counted)
 *
 * ID: 1..39 of [0-9A-Za-z-]; T: 1..31 of [0-9TZ:.+-]; I: 1..8 digits; F: 1..8 digits, then
 * optionally '.' and 1..7 digits; S: success | error | timeout | failure. In the JSON shape a
 * number has no leading zero ("0" and "0.5" are numbers, "01" is not). A line is the bytes
 * between two '\n' (a '\r' before the '\n' makes it another shape).
 *
 * A float is its digits as one integer (at most 15 digits, exact in a double) divided by a power
 * of ten (exact too): IEEE 754 division rounds correctly, so the result is the double float()
 * gives for the same text.
 *
 * Only the CPython C API is used; the caller passes preallocated writable buffers (numpy arrays)
 * and every read stays inside [line start, line end).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030C0000
#define IS_READY(s) PyUnicode_IS_READY(s)
#else
#define IS_READY(s) 1 /* every str is ready since 3.12 */
#endif

#define ID_WIDTH 40   /* bytes per request id in the output (ids are at most ID_WIDTH - 1 long) */
#define TIME_WIDTH 32 /* a JSON time is at most TIME_WIDTH - 1 long */
#define MAX_INT_DIGITS 8
#define MAX_FRAC_DIGITS 7

enum { STATUS_NONE = 0, STATUS_SUCCESS, STATUS_ERROR, STATUS_TIMEOUT, STATUS_FAILURE };
#define JSON_SHAPE 8 /* added to the status code of a record read from the JSON shape */

static const double POW10[MAX_FRAC_DIGITS + 1] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};

/* Byte classes, filled once at import. */
static unsigned char ID_CHAR[256];
static unsigned char TIME_CHAR[256];
static unsigned char NUMERIC_CHAR[256]; /* digits and '.' */
static unsigned char VERSION_CHAR[256]; /* a START record's Version value */
static unsigned char DIGIT[256];
static unsigned char NEEDLE_FIRST[256]; /* first bytes of the NEEDLES */

#define VERSION_WIDTH 32 /* a Version value is at most VERSION_WIDTH - 1 long */
#define MAX_PREFIX_FRACTION 9 /* digits of a prefix timestamp's fraction */
#define MAX_PREFIX_BLANKS 8 /* blanks after the prefix timestamp */

static void
init_classes(void)
{
    const char *p;
    for (p = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-"; *p; p++)
        ID_CHAR[(unsigned char)*p] = 1;
    for (p = "0123456789TZ:.+-"; *p; p++)
        TIME_CHAR[(unsigned char)*p] = 1;
    for (p = "0123456789."; *p; p++)
        NUMERIC_CHAR[(unsigned char)*p] = 1;
    for (p = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_.-"; *p; p++)
        VERSION_CHAR[(unsigned char)*p] = 1;
    for (p = "0123456789"; *p; p++)
        DIGIT[(unsigned char)*p] = 1;
    for (p = "RSEp\\"; *p; p++)
        NEEDLE_FIRST[(unsigned char)*p] = 1;
}

typedef struct {
    const unsigned char *id;
    Py_ssize_t id_len;
    double duration;
    int64_t billed, memory, max_memory;
    double init; /* NaN when absent */
    uint8_t status;
} Row;

/* Step over `lit` (of length n) at *p, or fail. */
#define LITERAL(lit)                                                                          \
    do {                                                                                      \
        if ((size_t)(end - p) < sizeof(lit) - 1 || memcmp(p, lit, sizeof(lit) - 1) != 0)      \
            return 0;                                                                         \
        p += sizeof(lit) - 1;                                                                 \
    } while (0)

static inline int
starts_with(const unsigned char *p, const unsigned char *end, const char *lit, size_t n)
{
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

static inline int
is_exactly(const unsigned char *p, const unsigned char *end, const char *lit, size_t n)
{
    return (size_t)(end - p) == n && memcmp(p, lit, n) == 0;
}

/* A run of 1..width-1 bytes of `cls` at *pp; returns its length, 0 when there is none. */
static inline Py_ssize_t
token(const unsigned char **pp, const unsigned char *end, const unsigned char *cls,
      Py_ssize_t width)
{
    const unsigned char *p = *pp;
    const unsigned char *stop = (end - p) < width ? end : p + width;
    while (p < stop && cls[*p])
        p++;
    Py_ssize_t n = p - *pp;
    if (n < 1 || n >= width)
        return 0;
    *pp = p;
    return n;
}

/* A number at *pp: `whole` reads 1..8 digits, else 1..8 digits with an optional fraction of
 * 1..7 digits; `json` refuses a leading zero. The whole run of digits and dots must be the
 * number. Returns 1 and the value (as a double and, for whole numbers, as an integer), or 0. */
static inline int
number(const unsigned char **pp, const unsigned char *end, int whole, int json, double *value,
       int64_t *integer)
{
    const unsigned char *p = *pp;
    const unsigned char *q = p;
    while (q < end && NUMERIC_CHAR[*q])
        q++;
    Py_ssize_t len = q - p;
    Py_ssize_t dot = -1;
    int dots = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        if (p[i] == '.') {
            if (dot < 0)
                dot = i;
            dots++;
        }
    }
    Py_ssize_t int_len = dot < 0 ? len : dot;
    Py_ssize_t frac_len = dot < 0 ? 0 : len - dot - 1;
    if (int_len < 1 || int_len > MAX_INT_DIGITS)
        return 0;
    if (whole) {
        if (dots)
            return 0;
    }
    else if (dots > 1 || (dots == 1 && (frac_len < 1 || frac_len > MAX_FRAC_DIGITS))) {
        return 0;
    }
    if (json && p[0] == '0' && int_len > 1)
        return 0;
    int64_t digits = 0;
    for (Py_ssize_t i = 0; i < int_len; i++)
        digits = digits * 10 + (p[i] - '0');
    for (Py_ssize_t i = 0; i < frac_len; i++)
        digits = digits * 10 + (p[int_len + 1 + i] - '0');
    /* at most 15 digits: exact as a double; one correctly rounded division, as float() */
    *value = (double)digits / POW10[frac_len];
    if (integer != NULL)
        *integer = digits;
    *pp = q;
    return 1;
}

static const struct {
    const char *name;
    size_t len;
} STATUS[] = {{"success", 7}, {"error", 5}, {"timeout", 7}, {"failure", 7}};

/* The status code whose name, followed by `tail` (n bytes), is exactly [p, end); 0 if none. */
static inline uint8_t
status_code(const unsigned char *p, const unsigned char *end, const char *tail, size_t n)
{
    for (int k = 0; k < 4; k++) {
        size_t len = STATUS[k].len;
        if ((size_t)(end - p) == len + n && memcmp(p, STATUS[k].name, len) == 0 &&
            memcmp(p + len, tail, n) == 0)
            return (uint8_t)(k + 1);
    }
    return STATUS_NONE;
}

static int
text_report(const unsigned char *p, const unsigned char *end, Row *row)
{
    double ignored;
    LITERAL("REPORT RequestId: ");
    row->id = p;
    if (!(row->id_len = token(&p, end, ID_CHAR, ID_WIDTH)))
        return 0;
    LITERAL("\tDuration: ");
    if (!number(&p, end, 0, 0, &row->duration, NULL))
        return 0;
    LITERAL(" ms\tBilled Duration: ");
    if (!number(&p, end, 1, 0, &ignored, &row->billed))
        return 0;
    LITERAL(" ms\tMemory Size: ");
    if (!number(&p, end, 1, 0, &ignored, &row->memory))
        return 0;
    LITERAL(" MB\tMax Memory Used: ");
    if (!number(&p, end, 1, 0, &ignored, &row->max_memory))
        return 0;
    LITERAL(" MB\t");
    row->init = Py_NAN;
    if (starts_with(p, end, "Init Duration: ", 15)) {
        p += 15;
        if (!number(&p, end, 0, 0, &row->init, NULL))
            return 0;
        LITERAL(" ms\t");
    }
    row->status = STATUS_NONE;
    if (starts_with(p, end, "Status: ", 8)) {
        row->status = status_code(p + 8, end, "\t", 1);
        return row->status != STATUS_NONE; /* an Error Type (or anything else): general path */
    }
    return p == end;
}

static int
json_report(const unsigned char *p, const unsigned char *end, Row *row)
{
    double ignored;
    LITERAL("{\"time\":\"");
    if (!token(&p, end, TIME_CHAR, TIME_WIDTH))
        return 0;
    LITERAL("\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"");
    row->id = p;
    if (!(row->id_len = token(&p, end, ID_CHAR, ID_WIDTH)))
        return 0;
    LITERAL("\",\"metrics\":{\"durationMs\":");
    if (!number(&p, end, 0, 1, &row->duration, NULL))
        return 0;
    LITERAL(",\"billedDurationMs\":");
    if (!number(&p, end, 1, 1, &ignored, &row->billed))
        return 0;
    LITERAL(",\"memorySizeMB\":");
    if (!number(&p, end, 1, 1, &ignored, &row->memory))
        return 0;
    LITERAL(",\"maxMemoryUsedMB\":");
    if (!number(&p, end, 1, 1, &ignored, &row->max_memory))
        return 0;
    row->init = Py_NAN;
    if (starts_with(p, end, ",\"initDurationMs\":", 18)) {
        p += 18;
        if (!number(&p, end, 0, 1, &row->init, NULL))
            return 0;
    }
    row->status = STATUS_NONE;
    if (starts_with(p, end, "},\"status\":\"", 12)) {
        row->status = status_code(p + 12, end, "\"}}", 3);
        if (row->status == STATUS_NONE)
            return 0;
        row->status |= JSON_SHAPE;
        return 1;
    }
    row->status = JSON_SHAPE;
    return is_exactly(p, end, "}}}", 3);
}

/* One line, [p, end): 1 and the row when it is in a fast shape, else 0. */
static inline int
read_line(const unsigned char *p, const unsigned char *end, Row *row)
{
    if (p == end)
        return 0;
    if (*p == 'R')
        return text_report(p, end, row);
    if (*p == '{')
        return json_report(p, end, row);
    return 0;
}


/* `n` digits at p (within end). */
static inline int
digits(const unsigned char *p, const unsigned char *end, Py_ssize_t n)
{
    if (end - p < n)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!DIGIT[p[i]])
            return 0;
    return 1;
}

/* After an ISO 8601 timestamp and its blanks at p (the first alternative of parse.py's _PREFIX,
 * \d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? then [ \t]+), or p when
 * there is none (or it is longer than the limits above: the general parser reads those). */
static const unsigned char *
skip_prefix(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *q = p;
    if (!(digits(q, end, 4) && end - q >= 19 && q[4] == '-' && digits(q + 5, end, 2) &&
          q[7] == '-' && digits(q + 8, end, 2) && (q[10] == 'T' || q[10] == ' ') &&
          digits(q + 11, end, 2) && q[13] == ':' && digits(q + 14, end, 2) && q[16] == ':' &&
          digits(q + 17, end, 2)))
        return p;
    q += 19;
    if (q + 1 < end && (*q == '.' || *q == ',') && DIGIT[q[1]]) {
        const unsigned char *f = q + 1;
        while (f < end && DIGIT[*f])
            f++;
        if (f - (q + 1) > MAX_PREFIX_FRACTION)
            return p;
        q = f;
    }
    if (q < end && *q == 'Z') {
        q++;
    }
    else if (q < end && (*q == '+' || *q == '-') && digits(q + 1, end, 2)) {
        const unsigned char *z = q + 3;
        if (z < end && *z == ':')
            z++;
        if (digits(z, end, 2))
            q = z + 2;
    }
    const unsigned char *b = q;
    while (b < end && (*b == ' ' || *b == '\t'))
        b++;
    if (b == q || b - q > MAX_PREFIX_BLANKS)
        return p;
    return b;
}

/* START RequestId: ID Version: V (V: 1..VERSION_WIDTH-1 of VERSION_CHAR), exactly. */
static int
start_line(const unsigned char *p, const unsigned char *end)
{
    LITERAL("START RequestId: ");
    if (!token(&p, end, ID_CHAR, ID_WIDTH))
        return 0;
    LITERAL(" Version: ");
    if (!token(&p, end, VERSION_CHAR, VERSION_WIDTH))
        return 0;
    return p == end;
}

/* END RequestId: ID, exactly. */
static int
end_line(const unsigned char *p, const unsigned char *end)
{
    LITERAL("END RequestId: ");
    if (!token(&p, end, ID_CHAR, ID_WIDTH))
        return 0;
    return p == end;
}

enum { LINE_SLOW = 0, LINE_REPORT = 1, LINE_START = 2, LINE_END = 3, LINE_IGNORED = 4 };

/* What the general parser would make of the line [line, end), when that is certain without it:
 * a REPORT (in `row`), a START, an END, or nothing (INIT_START, RESTORE_START); else LINE_SLOW. */
static int
classify(const unsigned char *line, const unsigned char *end, Row *row)
{
    if (line == end)
        return LINE_IGNORED;
    const unsigned char *p = DIGIT[*line] ? skip_prefix(line, end) : line;
    if (p == end)
        return LINE_SLOW;
    switch (*p) {
    case 'R':
        if (text_report(p, end, row))
            return LINE_REPORT;
        if (starts_with(p, end, "RESTORE_START", 13))
            return LINE_IGNORED;
        break;
    case '{':
        if (json_report(p, end, row))
            return LINE_REPORT;
        break;
    case 'S':
        if (start_line(p, end))
            return LINE_START;
        break;
    case 'E':
        if (end_line(p, end))
            return LINE_END;
        break;
    case 'I':
        if (starts_with(p, end, "INIT_START", 10))
            return LINE_IGNORED;
        break;
    }
    return LINE_SLOW;
}

static const struct {
    const char *text;
    size_t len;
    int word; /* a record keyword: found only where a record's text can begin (see below) */
} NEEDLES[] = {{"REPORT", 6, 1}, {"START", 5, 1}, {"END", 3, 1}, {"platform.", 9, 0}, {"\\u", 2, 0}};
#define N_NEEDLES (sizeof(NEEDLES) / sizeof(NEEDLES[0]))
static const char TIMED_OUT[] = "Task timed out after";

/* The first occurrence of lit[0..n) in [p, end), or NULL. */
static inline const unsigned char *
find(const unsigned char *p, const unsigned char *end, const char *lit, size_t n)
{
    if ((size_t)(end - p) < n)
        return NULL;
    if (n <= 2) {
        /* glibc's memmem walks short needles byte by byte; memchr for the first is far faster */
        const unsigned char *last = end - n;
        while (p <= last) {
            const unsigned char *at = memchr(p, lit[0], (size_t)(last - p) + 1);
            if (at == NULL)
                return NULL;
            if (n == 1 || at[1] == (unsigned char)lit[1])
                return at;
            p = at + 1;
        }
        return NULL;
    }
    return memmem(p, (size_t)(end - p), lit, n);
}

/* Whether a keyword at `at` (not before `floor`) can begin a record's text: the general parser
 * reads one only at the start of a stripped line, after a prefix and its blanks, at the start
 * of a JSON string ("message": "REPORT ...", after stripping: blanks or an escaped \t \n \r \f),
 * or after INIT_ / RESTORE_. So it must follow the line start, a control byte or blank, a
 * non-ASCII byte (Unicode blanks), '"', '_', or a backslash escape letter. Anything else (the
 * "END" of "BACKEND") cannot start a record. */
static inline int
can_begin(const unsigned char *at, const unsigned char *floor)
{
    if (at == floor)
        return 1;
    unsigned char prev = at[-1];
    if (prev <= 0x20 || prev >= 0x80 || prev == '"' || prev == '_' || prev == '\n')
        return 1;
    if ((prev == 't' || prev == 'n' || prev == 'r' || prev == 'f') && at - 1 > floor &&
        at[-2] == '\\')
        return 1;
    return 0;
}

/* Whether [p, end) holds a needle that counts: one pass, a table lookup per byte. */
static int
has_needle(const unsigned char *p, const unsigned char *end)
{
    for (const unsigned char *q = p; q < end; q++) {
        if (!NEEDLE_FIRST[*q])
            continue;
        for (size_t k = 0; k < N_NEEDLES; k++) {
            if (*q == (unsigned char)NEEDLES[k].text[0] &&
                starts_with(q, end, NEEDLES[k].text, NEEDLES[k].len) &&
                (!NEEDLES[k].word || can_begin(q, p)))
                return 1;
        }
    }
    return 0;
}

/* A record keyword (or a JSON object) starts at p: what the general parser's _parse_body
 * could turn into a record or a malformed one. */
static inline int
keyword_at(const unsigned char *p, const unsigned char *end)
{
    switch (*p) {
    case '{':
        return 1;
    case 'R':
        return starts_with(p, end, "REPORT", 6) || starts_with(p, end, "RESTORE_REPORT", 14);
    case 'S':
        return starts_with(p, end, "START", 5);
    case 'E':
        return starts_with(p, end, "END", 3);
    case 'I':
        return starts_with(p, end, "INIT_REPORT", 11);
    }
    return 0;
}

#define MAX_PREFIX_RUNS 6 /* blank runs _PREFIX can span: 3 tokens, each with one inner blank */

/* Whether the general parser could read a record (or a malformed one) in the line [p, end).
 * It reads one only where its text begins: at the stripped line start, or after up to three
 * _PREFIX tokens (which start with a digit or '/', and hold at most one blank each, an ISO
 * time's) and their blanks. A line that starts with a blank, a control or non-ASCII byte (a
 * Unicode blank strip() removes) or '{' (a JSON record or CloudWatch event) is checked for
 * every needle instead. */
static int
may_be_record(const unsigned char *p, const unsigned char *end)
{
    if (p == end)
        return 0;
    unsigned char first = *p;
    if (first == '{' || first <= 0x20 || first >= 0x7f)
        return has_needle(p, end);
    if (keyword_at(p, end))
        return 1;
    if (!(DIGIT[first] || first == '/'))
        return 0;
    const unsigned char *q = p;
    for (int run = 0; run < MAX_PREFIX_RUNS; run++) {
        while (q < end && *q != ' ' && *q != '\t')
            q++;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (q == end)
            return 0;
        if (keyword_at(q, end))
            return 1;
        if (!(DIGIT[*q] || *q == '/' || *q >= 0x80))
            return 0; /* no prefix token starts so (\\d is any Unicode digit): none reaches past */
    }
    return 0;
}

/* The output columns: writable buffers the caller allocated (numpy arrays). */
typedef struct {
    Py_buffer ids, duration, billed, memory, max_memory, init, status, slow;
    Py_ssize_t capacity; /* rows every column has room for */
    Py_ssize_t slow_width; /* int64 values per slow entry */
} Columns;

static void
write_row(Columns *c, Py_ssize_t k, const Row *row)
{
    unsigned char *id = (unsigned char *)c->ids.buf + k * ID_WIDTH;
    memcpy(id, row->id, (size_t)row->id_len);
    memset(id + row->id_len, 0, (size_t)(ID_WIDTH - row->id_len));
    ((double *)c->duration.buf)[k] = row->duration;
    ((int64_t *)c->billed.buf)[k] = row->billed;
    ((int64_t *)c->memory.buf)[k] = row->memory;
    ((int64_t *)c->max_memory.buf)[k] = row->max_memory;
    ((double *)c->init.buf)[k] = row->init;
    ((uint8_t *)c->status.buf)[k] = row->status;
}

static void
release_columns(Columns *c)
{
    Py_buffer *all[] = {&c->ids, &c->duration, &c->billed, &c->memory,
                        &c->max_memory, &c->init, &c->status, &c->slow};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->obj != NULL)
            PyBuffer_Release(all[i]);
}

/* Parse the column arguments (after `skip` leading ones) and check their sizes; the capacity is
 * the number of rows `duration` holds. Returns 0 with an exception set on error. */
static int
get_columns(PyObject *args, Py_ssize_t skip, Py_ssize_t slow_width, Columns *c)
{
    memset(c, 0, sizeof(*c));
    c->slow_width = slow_width;
    if (PyTuple_GET_SIZE(args) != skip + 8) {
        PyErr_Format(PyExc_TypeError, "expected %zd arguments", skip + 8);
        return 0;
    }
    Py_buffer *all[] = {&c->ids, &c->duration, &c->billed, &c->memory,
                        &c->max_memory, &c->init, &c->status, &c->slow};
    for (Py_ssize_t i = 0; i < 8; i++) {
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(args, skip + i), all[i],
                               PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
            release_columns(c);
            return 0;
        }
    }
    Py_ssize_t n = c->duration.len / 8;
    if (c->ids.len < n * ID_WIDTH || c->billed.len < n * 8 || c->memory.len < n * 8 ||
        c->max_memory.len < n * 8 || c->init.len < n * 8 || c->status.len < n ||
        c->slow.len < n * slow_width * 8) {
        PyErr_SetString(PyExc_ValueError, "output columns too small for one another");
        release_columns(c);
        return 0;
    }
    c->capacity = n;
    return 1;
}

PyDoc_STRVAR(scan_doc,
"scan(data, ids, duration, billed, memory, max_memory, init, status, slow, kinds)\n"
"    -> (fast, slow, lines, starts, ends, ignored, timeouts)\n\n"
"Read the newline-separated lines of `data` (a trailing newline ends the last line). REPORT\n"
"lines in a fast shape fill the columns, in order (ids: 40 bytes each, zero-padded; duration,\n"
"init: float64, init NaN when absent; billed, memory, max_memory: int64; status: uint8, 0 none,\n"
"1..4 success, error, timeout, failure, plus 8 for the JSON shape). START and END lines in\n"
"Lambda's shape are counted (starts, ends); lines that cannot be platform records, and\n"
"INIT_START / RESTORE_START, are counted as ignored. Every other line is one row of `slow`\n"
"(int64 quadruples: line index, start offset, end offset, fast rows before it) for the\n"
"general parser. `timeouts`\n"
"counts the lines holding 'Task timed out after'. `kinds` is None or a uint8 array that\n"
"receives each line's class (0 slow, 1 report, 2 start, 3 end, 4 ignored). Every column holds\n"
"as many rows as `duration`; a ValueError is raised if the rows do not fit.");

static PyObject *
scan(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer data, kinds_buf;
    Columns c;
    if (PyTuple_GET_SIZE(args) != 10) {
        PyErr_SetString(PyExc_TypeError, "scan() needs data, 8 output columns and kinds");
        return NULL;
    }
    PyObject *kinds_obj = PyTuple_GET_ITEM(args, 9);
    PyObject *column_args = PyTuple_GetSlice(args, 0, 9);
    if (column_args == NULL)
        return NULL;
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(args, 0), &data, PyBUF_SIMPLE) < 0) {
        Py_DECREF(column_args);
        return NULL;
    }
    int ok = get_columns(column_args, 1, 4, &c);
    Py_DECREF(column_args);
    if (!ok) {
        PyBuffer_Release(&data);
        return NULL;
    }
    unsigned char *kinds = NULL;
    Py_ssize_t kinds_len = 0;
    kinds_buf.obj = NULL;
    if (kinds_obj != Py_None) {
        if (PyObject_GetBuffer(kinds_obj, &kinds_buf, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
            release_columns(&c);
            PyBuffer_Release(&data);
            return NULL;
        }
        kinds = kinds_buf.buf;
        kinds_len = kinds_buf.len;
    }
    const unsigned char *const base = data.buf;
    const unsigned char *const end = base + data.len;
    const unsigned char *p = base;
    int64_t *slow = c.slow.buf;
    Py_ssize_t line = 0, fast = 0, nslow = 0, starts = 0, ends = 0, ignored = 0, timeouts = 0;
    int overflow = 0;
    Row row;

    Py_BEGIN_ALLOW_THREADS
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        const unsigned char *stop = nl ? nl : end;
        if (fast + nslow >= c.capacity || (kinds != NULL && line >= kinds_len)) {
            overflow = 1;
            break;
        }
        int kind = classify(p, stop, &row);
        if (kind == LINE_SLOW && !may_be_record(p, stop))
            kind = LINE_IGNORED;
        if (kind == LINE_REPORT) {
            write_row(&c, fast++, &row);
        }
        else if (kind == LINE_START) {
            starts++;
        }
        else if (kind == LINE_END) {
            ends++;
        }
        else if (kind == LINE_IGNORED) {
            ignored++;
        }
        else {
            slow[4 * nslow] = line;
            slow[4 * nslow + 1] = p - base;
            slow[4 * nslow + 2] = stop - base;
            slow[4 * nslow + 3] = fast;
            nslow++;
        }
        if (kinds != NULL)
            kinds[line] = (unsigned char)kind;
        line++;
        p = nl ? nl + 1 : end;
    }
    /* Lines that say "Task timed out after", in one pass of their own. */
    for (const unsigned char *q = base; q < end;) {
        const unsigned char *at = find(q, end, TIMED_OUT, sizeof(TIMED_OUT) - 1);
        if (at == NULL)
            break;
        timeouts++;
        const unsigned char *nl = memchr(at, '\n', (size_t)(end - at));
        q = nl ? nl + 1 : end;
    }
    Py_END_ALLOW_THREADS

    release_columns(&c);
    if (kinds_buf.obj != NULL)
        PyBuffer_Release(&kinds_buf);
    PyBuffer_Release(&data);
    if (overflow) {
        PyErr_SetString(PyExc_ValueError, "more lines than the output columns hold");
        return NULL;
    }
    return Py_BuildValue("nnnnnnn", fast, nslow, line, starts, ends, ignored, timeouts);
}

PyDoc_STRVAR(scan_messages_doc,
"scan_messages(messages, ids, duration, billed, memory, max_memory, init, status, slow)\n"
"    -> (fast, slow, ignored)\n\n"
"The same for a list of str, one record each: a message is read when it is ASCII and a REPORT\n"
"in a fast shape, possibly followed by one '\\n' (as CloudWatch events end), and skipped (as\n"
"ignored) when it is ASCII and holds no needle. `slow` receives (index, fast rows before it)\n"
"int64 pairs for the other messages (START and END too: their records are wanted).");

static PyObject *
scan_messages(PyObject *self, PyObject *args)
{
    (void)self;
    Columns c;
    if (PyTuple_GET_SIZE(args) < 1 || !PyList_Check(PyTuple_GET_ITEM(args, 0))) {
        PyErr_SetString(PyExc_TypeError, "scan_messages() needs a list and 8 output columns");
        return NULL;
    }
    PyObject *messages = PyTuple_GET_ITEM(args, 0);
    if (!get_columns(args, 1, 2, &c))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(messages);
    if (n > c.capacity) {
        release_columns(&c);
        PyErr_SetString(PyExc_ValueError, "more messages than the output columns hold");
        return NULL;
    }
    int64_t *slow = c.slow.buf;
    Py_ssize_t fast = 0, nslow = 0, ignored = 0;
    Row row;
    /* The GIL stays held: the list and its strings are read directly. */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(messages, i);
        int kind = LINE_SLOW;
        if (PyUnicode_Check(item) && IS_READY(item) && PyUnicode_IS_ASCII(item)) {
            const unsigned char *p = PyUnicode_DATA(item);
            Py_ssize_t len = PyUnicode_GET_LENGTH(item);
            Py_ssize_t body = len;
            if (body > 0 && p[body - 1] == '\n')
                body--; /* parse_record strips it: the same record */
            if (body > 0 && (*p == 'R' || *p == '{' || DIGIT[*p])) {
                const unsigned char *q = DIGIT[*p] ? skip_prefix(p, p + body) : p;
                if (q < p + body &&
                    ((*q == 'R' && text_report(q, p + body, &row)) ||
                     (*q == '{' && json_report(q, p + body, &row))))
                    kind = LINE_REPORT;
            }
            if (kind == LINE_SLOW && !has_needle(p, p + len))
                kind = LINE_IGNORED;
        }
        if (kind == LINE_REPORT)
            write_row(&c, fast++, &row);
        else if (kind == LINE_IGNORED)
            ignored++;
        else {
            slow[2 * nslow] = i;
            slow[2 * nslow + 1] = fast;
            nslow++;
        }
    }
    release_columns(&c);
    return Py_BuildValue("nnn", fast, nslow, ignored);
}

PyDoc_STRVAR(count_lines_doc,
"count_lines(data) -> int\n\n"
"The number of lines in `data`: its newlines, plus one when it does not end with a newline.");

static PyObject *
count_lines(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *p = data.buf;
    const unsigned char *end = p + data.len;
    Py_ssize_t lines = 0;
    Py_BEGIN_ALLOW_THREADS
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        lines++;
        p = nl ? nl + 1 : end;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return PyLong_FromSsize_t(lines);
}

static PyMethodDef methods[] = {
    {"count_lines", count_lines, METH_O, count_lines_doc},
    {"scan", scan, METH_VARARGS, scan_doc},
    {"scan_messages", scan_messages, METH_VARARGS, scan_messages_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "_fastreport",
    "Compiled fast path of powertune.logs.bulk (see bulk.py).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__fastreport(void)
{
    init_classes();
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "ID_WIDTH", ID_WIDTH) < 0 ||
        PyModule_AddIntConstant(m, "JSON_SHAPE", JSON_SHAPE) < 0 ||
        PyModule_AddIntConstant(m, "VERSION", 2) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
