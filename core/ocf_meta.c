/* SPDX-License-Identifier: MIT */
#include "ocf_meta.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint32_t cfs_ocf_msec(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return 0;
	while (isspace((unsigned char)*end))
		end++;
	double mult;
	if (!*end || strcasecmp(end, "s") == 0 || strcasecmp(end, "sec") == 0)
		mult = 1000;
	else if (strcasecmp(end, "ms") == 0 || strcasecmp(end, "msec") == 0)
		mult = 1;
	else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "min") == 0)
		mult = 60000;
	else if (strcasecmp(end, "h") == 0 || strcasecmp(end, "hr") == 0)
		mult = 3600000;
	else
		return 0;
	double ms = v * mult;
	return ms > 4294967295.0 ? 0 : (uint32_t)ms;
}

/* --- the reader --- */

struct rd {
	const char *p, *end;
};

/* Decodes entities of s[0..n) into a new string. */
static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		if (s[i] != '&') {
			*o++ = s[i++];
			continue;
		}
		const char *semi = memchr(s + i, ';', n - i);
		size_t k = semi ? (size_t)(semi - (s + i)) : 0;
		static const struct {
			const char *name;
			char c;
		} ents[] = {{"&lt", '<'}, {"&gt", '>'}, {"&amp", '&'}, {"&quot", '"'}, {"&apos", '\''}};
		bool done = false;
		for (size_t e = 0; semi && e < CFS_ARRAY_SIZE(ents) && !done; e++)
			if (strlen(ents[e].name) == k && memcmp(s + i, ents[e].name, k) == 0) {
				*o++ = ents[e].c;
				done = true;
			}
		if (!done && semi && k > 2 && s[i + 1] == '#') {
			unsigned long cp = s[i + 2] == 'x' ? strtoul(s + i + 3, NULL, 16)
							   : strtoul(s + i + 2, NULL, 10);
			/* UTF-8 of the code point; NUL and invalid ones become '?'. */
			if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
				*o++ = '?';
			} else if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xC0 | cp >> 6);
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000 && k >= 4) {
				*o++ = (char)(0xE0 | cp >> 12);
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else if (k >= 5) {
				*o++ = (char)(0xF0 | cp >> 18);
				*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else {
				*o++ = '?';
			}
			done = true;
		}
		if (done) {
			i += k + 1;
		} else {
			*o++ = '&';
			i++;
		}
	}
	*o = '\0';
	return out;
}

/* Skips past the next occurrence of lit; false when there is none. */
static bool skip_past(struct rd *r, const char *lit)
{
	size_t n = strlen(lit);
	for (; r->p + n <= r->end; r->p++)
		if (memcmp(r->p, lit, n) == 0) {
			r->p += n;
			return true;
		}
	r->p = r->end;
	return false;
}

struct tag {
	const char *name;
	size_t nlen;
	bool closing, empty;
	const char *attrs, *attrs_end;
};

/* Text up to the next '<' (its start and length), then the tag there.
 * Returns false at the end of the document. */
static bool next_tag(struct rd *r, const char **ret_text, size_t *ret_tlen, struct tag *t)
{
	for (;;) {
		const char *lt = memchr(r->p, '<', (size_t)(r->end - r->p));
		if (!lt)
			return false;
		*ret_text = r->p;
		*ret_tlen = (size_t)(lt - r->p);
		r->p = lt + 1;
		if (r->end - r->p >= 3 && memcmp(r->p, "!--", 3) == 0) {
			skip_past(r, "-->");
			continue;
		}
		if (r->end - r->p >= 8 && memcmp(r->p, "![CDATA[", 8) == 0) {
			skip_past(r, "]]>");
			continue;
		}
		if (r->p < r->end && (*r->p == '?' || *r->p == '!')) {
			skip_past(r, ">");
			continue;
		}
		*t = (struct tag){0};
		if (r->p < r->end && *r->p == '/') {
			t->closing = true;
			r->p++;
		}
		t->name = r->p;
		while (r->p < r->end && !isspace((unsigned char)*r->p) && *r->p != '>' && *r->p != '/')
			r->p++;
		t->nlen = (size_t)(r->p - t->name);
		t->attrs = r->p;
		/* The tag ends at the first '>' outside quotes. */
		char q = 0;
		while (r->p < r->end && (q || *r->p != '>')) {
			if (q && *r->p == q)
				q = 0;
			else if (!q && (*r->p == '"' || *r->p == '\''))
				q = *r->p;
			r->p++;
		}
		if (r->p >= r->end)
			return false;
		t->attrs_end = r->p;
		t->empty = r->p > t->attrs && r->p[-1] == '/';
		r->p++;
		return true;
	}
}

static bool is(const struct tag *t, const char *name)
{
	return t->nlen == strlen(name) && memcmp(t->name, name, t->nlen) == 0;
}

/* An attribute's decoded value (malloc'd), or NULL. */
static char *attr(const struct tag *t, const char *name)
{
	size_t n = strlen(name);
	const char *p = t->attrs;
	while (p < t->attrs_end) {
		while (p < t->attrs_end && (isspace((unsigned char)*p) || *p == '/'))
			p++;
		const char *an = p;
		while (p < t->attrs_end && *p != '=' && !isspace((unsigned char)*p))
			p++;
		size_t alen = (size_t)(p - an);
		while (p < t->attrs_end && isspace((unsigned char)*p))
			p++;
		if (p >= t->attrs_end || *p != '=')
			continue;
		p++;
		while (p < t->attrs_end && isspace((unsigned char)*p))
			p++;
		if (p >= t->attrs_end || (*p != '"' && *p != '\''))
			continue;
		char q = *p++;
		const char *v = p;
		while (p < t->attrs_end && *p != q)
			p++;
		if (alen == n && memcmp(an, name, n) == 0)
			return decode(v, (size_t)(p - v));
		p++;
	}
	return NULL;
}

static bool truthy(const char *s)
{
	return s && (strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0);
}

/* Trims blanks and joins lines into one. */
static void squeeze(char *s)
{
	char *o = s;
	bool blank = true;
	for (char *p = s; *p; p++) {
		if (isspace((unsigned char)*p)) {
			if (!blank)
				*o++ = ' ';
			blank = true;
		} else {
			*o++ = *p;
			blank = false;
		}
	}
	if (o > s && o[-1] == ' ')
		o--;
	*o = '\0';
}

void cfs_ocf_meta_free(struct cfs_ocf_meta *m)
{
	if (!m)
		return;
	free(m->shortdesc);
	for (size_t i = 0; i < m->nparams; i++)
		cfs_param_def_free(&m->params[i]);
	free(m->params);
	*m = (struct cfs_ocf_meta){0};
}

static int add_param(struct cfs_ocf_meta *m, const struct tag *t)
{
	char *name = attr(t, "name");
	if (!name || !*name) {
		free(name);
		return 0;
	}
	struct cfs_param_def *v = realloc(m->params, (m->nparams + 1) * sizeof(*v));
	if (!v) {
		free(name);
		return -ENOMEM;
	}
	m->params = v;
	char *req = attr(t, "required"), *uniq = attr(t, "unique");
	m->params[m->nparams++] = (struct cfs_param_def){
		.name = name, .content = strdup("string"), .required = truthy(req),
		.unique = truthy(uniq)};
	free(req);
	free(uniq);
	return m->params[m->nparams - 1].content ? 0 : -ENOMEM;
}

static void set_content(struct cfs_param_def *d, const struct tag *t)
{
	char *type = attr(t, "type"), *dflt = attr(t, "default");
	if (type && *type) {
		free(d->content);
		d->content = type;
	} else {
		free(type);
	}
	free(d->dflt);
	d->dflt = dflt;
}

static void set_action(struct cfs_ocf_meta *m, const struct tag *t)
{
	char *name = attr(t, "name"), *to = attr(t, "timeout"), *iv = attr(t, "interval");
	char *role = attr(t, "role");
	uint32_t ms = to ? cfs_ocf_msec(to) : 0;
	if (name && !role) {
		if (strcmp(name, "start") == 0)
			m->start_ms = ms;
		else if (strcmp(name, "stop") == 0)
			m->stop_ms = ms;
		else if (strcmp(name, "monitor") == 0 && !m->monitor_interval_ms) {
			m->monitor_ms = ms;
			m->monitor_interval_ms = iv ? cfs_ocf_msec(iv) : 0;
		}
	}
	free(name);
	free(to);
	free(iv);
	free(role);
}

int cfs_ocf_meta_parse(const char *xml, size_t len, struct cfs_ocf_meta *ret)
{
	*ret = (struct cfs_ocf_meta){0};
	struct rd r = {xml, xml + len};
	const char *text;
	size_t tlen;
	struct tag t;
	/* Where we are: 0 outside, 1 in <resource-agent>, 2 in <parameters>,
	 * 3 in a <parameter>; depth of other elements inside that level. */
	int level = 0, other = 0;
	bool seen = false, in_desc = false;
	const char *desc_start = NULL;
	int e = 0;
	while (e == 0 && next_tag(&r, &text, &tlen, &t)) {
		if (in_desc) {
			if (t.closing && is(&t, "shortdesc")) {
				in_desc = false;
				if (!ret->shortdesc) {
					ret->shortdesc = decode(desc_start, (size_t)(text + tlen -
										  desc_start));
					if (!ret->shortdesc)
						e = -ENOMEM;
					else
						squeeze(ret->shortdesc);
				}
			}
			continue;
		}
		if (other) {
			if (!t.empty)
				other += t.closing ? -1 : 1;
			continue;
		}
		if (t.closing) {
			if (level > 0)
				level--;
			continue;
		}
		if (level == 0 && is(&t, "resource-agent")) {
			seen = true;
			level = t.empty ? 0 : 1;
		} else if (level == 1 && is(&t, "shortdesc") && !t.empty) {
			char *lang = attr(&t, "lang");
			in_desc = !lang || strcmp(lang, "en") == 0;
			free(lang);
			desc_start = r.p;
			if (!in_desc)
				other = 1;
		} else if (level == 1 && is(&t, "parameters")) {
			level = t.empty ? 1 : 2;
		} else if (level == 2 && is(&t, "parameter")) {
			e = add_param(ret, &t);
			level = t.empty ? 2 : 3;
		} else if (level == 3 && is(&t, "content") && ret->nparams) {
			set_content(&ret->params[ret->nparams - 1], &t);
			if (!t.empty)
				other = 1;
		} else if (level == 1 && is(&t, "actions")) {
			/* Actions sit one level down; no deeper state needed. */
			level = t.empty ? 1 : 2;
		} else if (level == 2 && is(&t, "action")) {
			set_action(ret, &t);
			if (!t.empty)
				other = 1;
		} else if (!t.empty) {
			other = 1;
		}
	}
	if (e == 0 && !seen)
		e = -EINVAL;
	if (e == 0 && !ret->shortdesc && !(ret->shortdesc = strdup("")))
		e = -ENOMEM;
	if (e < 0)
		cfs_ocf_meta_free(ret);
	return e;
}
