/* SPDX-License-Identifier: MIT */
/* http_stream — an XML-RPC reply whose large log strings are still in their files (xr_buf holes)
 * sent as the client reads it: MHD asks for the next block when the socket can take it, and each
 * block reads and escapes at most HTTP_STREAM_READ bytes of a file. A client that stops reading
 * costs one block of memory, not the log; the loop never spends long on one reply. The length is
 * unknown in advance (escaping), so HTTP/1.1 gets a chunked body and HTTP/1.0 one ended by close. */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/http_int.h"
#include "shared/text.h"
#include "shared/util.h"
#include "shared/xmlrpc.h"

#define HTTP_STREAM_BLOCK (32 * 1024)   /* what MHD asks for at most per call */
#define HTTP_STREAM_READ (16 * 1024)    /* raw log bytes read per refill */

struct reply_stream {
        struct xr_buf body;             /* the reply's text and its holes */
        size_t text_pos;                /* next byte of body.p to send */
        size_t hole;                    /* next hole (== nholes: none left) */
        uint64_t hole_done;             /* bytes of the current hole read so far */
        char raw[HTTP_STREAM_READ];
        size_t carry;                   /* raw[0..carry): an unfinished UTF-8 sequence */
        struct xr_buf esc;              /* escaped bytes of the current hole not yet sent */
        size_t esc_pos;
};

/* Read and escape the next part of the current hole into st->esc; false once it is all sent. */
static bool
refill(struct reply_stream *st)
{
        struct xr_file_range *f = &st->body.holes[st->hole].file;
        st->esc.len = st->esc_pos = 0;
        while (st->esc.len == 0) {
                uint64_t left = f->fd < 0 ? 0 : f->len - st->hole_done;
                size_t want = sizeof st->raw - st->carry;
                if (want > left)
                        want = (size_t)left;
                ssize_t got = 0;
                if (want) {
                        do
                                got = pread(f->fd, st->raw + st->carry, want, f->off + (off_t)st->hole_done);
                        while (got < 0 && errno == EINTR);
                }
                if (got <= 0) {
                        /* The end, or the file shrank or failed under us: the string ends here. */
                        if (st->carry)
                                xr_put_text(&st->esc, st->raw, st->carry);
                        st->carry = 0;
                        xr_file_close(f);
                        return st->esc.len != 0;
                }
                st->hole_done += (uint64_t)got;
                size_t n = st->carry + (size_t)got;
                /* Keep a sequence cut by the block's end for the next read, unless nothing follows. */
                size_t keep = st->hole_done < f->len ? text_utf8_complete(st->raw, n) : n;
                xr_put_text(&st->esc, st->raw, keep);
                memmove(st->raw, st->raw + keep, n - keep);
                st->carry = n - keep;
        }
        return true;
}

static size_t
min_size(size_t a, size_t b)
{
        return a < b ? a : b;
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct reply_stream *st = cls;
        size_t out = 0;
        (void)pos;

        while (out < max) {
                if (st->esc_pos < st->esc.len) {
                        size_t n = min_size(max - out, st->esc.len - st->esc_pos);
                        memcpy(buf + out, st->esc.p + st->esc_pos, n);
                        st->esc_pos += n;
                        out += n;
                        continue;
                }
                size_t end = st->hole < st->body.nholes ? st->body.holes[st->hole].pos : st->body.len;
                if (st->text_pos < end) {
                        size_t n = min_size(max - out, end - st->text_pos);
                        memcpy(buf + out, st->body.p + st->text_pos, n);
                        st->text_pos += n;
                        out += n;
                        continue;
                }
                if (st->hole == st->body.nholes)
                        break;                          /* all sent */
                if (!refill(st)) {
                        st->hole++;
                        st->hole_done = 0;
                }
        }
        return out ? (ssize_t)out : MHD_CONTENT_READER_END_OF_STREAM;
}

static void
stream_free(void *cls)
{
        struct reply_stream *st = cls;
        xr_buf_free(&st->body);                 /* closes the files not yet sent */
        xr_buf_free(&st->esc);
        free(st);
}

struct MHD_Response *
http_stream_response(struct xr_buf *body)
{
        struct reply_stream *st = xcalloc(1, sizeof *st);
        st->body = *body;
        *body = (struct xr_buf){ 0 };
        struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK,
                                                                   stream_read, st, stream_free);
        if (!r)
                stream_free(st);
        return r;
}
