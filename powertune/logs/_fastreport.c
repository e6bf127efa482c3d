/* The compiled fast path of powertune.logs.bulk: one pass over a buffer of log lines that
 * reads every line in exactly one of the two shapes Lambda writes today, and flags every other
 * line for the general parser.
 *
 * It accepts exactly the lines bulk.py's numpy fast path accepts (bulk.py has the rules; a test
 * compares the two line by line), and reads the same values:
 *
 *   REPORT RequestId: ID\tDuration: F ms\tBilled Duration: I ms\tMemory Size: I MB\t
 *     Max Memory Used: I MB\t[Init Duration: F ms\t][Status: S\t]                     (one line)
 *   {"time":"T","type":"platform.report","record":{"requestId":"ID","metrics":{"durationMs":F,
 *     "billedDurationMs":I,"memorySizeMB":I,"maxMemoryUsedMB":I[,"initDurationMs":F]}
 *     [,"status":"S"]}}                                                                (one line)
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
"scan(data, ids, duration, billed, memory, max_memory, init, status, slow) -> (fast, slow)\n\n"
"Read the newline-separated lines of `data` (a trailing newline ends the last line). Lines in\n"
"a fast shape fill the columns, in order (ids: 40 bytes each, zero-padded; duration, init:\n"
"float64, init NaN when absent; billed, memory, max_memory: int64; status: uint8, 0 none, 1..4\n"
"success, error, timeout, failure, plus 8 for the JSON shape). Every other line is one row of `slow` (int64 triples:\n"
"line index, start offset, end offset). Every column holds as many rows as `duration`; a\n"
"ValueError is raised if `data` has more lines than that.");

static PyObject *
scan(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer data;
    Columns c;
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_SetString(PyExc_TypeError, "scan() needs data and 8 output columns");
        return NULL;
    }
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(args, 0), &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (!get_columns(args, 1, 3, &c)) {
        PyBuffer_Release(&data);
        return NULL;
    }
    const unsigned char *p = data.buf;
    const unsigned char *end = p + data.len;
    int64_t *slow = c.slow.buf;
    Py_ssize_t line = 0, fast = 0, nslow = 0;
    int overflow = 0;
    Row row;

    Py_BEGIN_ALLOW_THREADS
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        const unsigned char *stop = nl ? nl : end;
        if (fast + nslow >= c.capacity) {
            overflow = 1;
            break;
        }
        if (read_line(p, stop, &row)) {
            write_row(&c, fast++, &row);
        }
        else {
            slow[3 * nslow] = line;
            slow[3 * nslow + 1] = p - (const unsigned char *)data.buf;
            slow[3 * nslow + 2] = stop - (const unsigned char *)data.buf;
            nslow++;
        }
        line++;
        p = nl ? nl + 1 : end;
    }
    Py_END_ALLOW_THREADS

    release_columns(&c);
    PyBuffer_Release(&data);
    if (overflow) {
        PyErr_SetString(PyExc_ValueError, "more lines than the output columns hold");
        return NULL;
    }
    return Py_BuildValue("nn", fast, nslow);
}

PyDoc_STRVAR(scan_messages_doc,
"scan_messages(messages, ids, duration, billed, memory, max_memory, init, status, slow)\n"
"    -> (fast, slow)\n\n"
"The same for a list of str, one record each: a message is read when it is ASCII and in a\n"
"fast shape, possibly followed by one '\\n' (as CloudWatch events end). `slow` receives the\n"
"indices (int64) of the other messages.");

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
    if (!get_columns(args, 1, 1, &c))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(messages);
    if (n > c.capacity) {
        release_columns(&c);
        PyErr_SetString(PyExc_ValueError, "more messages than the output columns hold");
        return NULL;
    }
    int64_t *slow = c.slow.buf;
    Py_ssize_t fast = 0, nslow = 0;
    Row row;
    /* The GIL stays held: the list and its strings are read directly. */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(messages, i);
        int ok = 0;
        if (PyUnicode_Check(item) && IS_READY(item) && PyUnicode_IS_ASCII(item)) {
            const unsigned char *p = PyUnicode_DATA(item);
            Py_ssize_t len = PyUnicode_GET_LENGTH(item);
            if (len > 0 && p[len - 1] == '\n')
                len--; /* parse_record strips it: the same record */
            ok = read_line(p, p + len, &row);
        }
        if (ok)
            write_row(&c, fast++, &row);
        else
            slow[nslow++] = i;
    }
    release_columns(&c);
    return Py_BuildValue("nn", fast, nslow);
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
        PyModule_AddIntConstant(m, "JSON_SHAPE", JSON_SHAPE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
