/* SPDX-License-Identifier: MIT */
/* Tests of ocf_meta.h: an OCF agent's meta-data, read carefully. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ocf_meta.h"

static const char doc[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
	"<!-- a comment with <parameter name=\"fake\"> inside -->\n"
	"<resource-agent name=\"Demo\" version=\"1.0\">\n"
	"<version>1.0</version>\n"
	"<longdesc lang=\"en\">Long\n text &amp; more</longdesc>\n"
	"<shortdesc lang=\"de\">Beispiel</shortdesc>\n"
	"<shortdesc lang=\"en\">Demo  &lt;agent&gt;\n &#233;t&#xe9;</shortdesc>\n"
	"<parameters>\n"
	"<parameter name=\"state\" unique=\"1\">\n"
	"<longdesc lang=\"en\">x</longdesc><shortdesc lang=\"en\">State file</shortdesc>\n"
	"<content type=\"string\" default=\"/run/x-&quot;q&quot;.state\" />\n"
	"</parameter>\n"
	"<parameter name='count' required='1' unique=\"0\">\n"
	"<content type=\"integer\"/>\n"
	"</parameter>\n"
	"<parameter name=\"flag\"><content type=\"boolean\" default=\"false\"></content></parameter>\n"
	"<parameter name=\"cdata\"><![CDATA[ <parameter name=\"no\"> ]]></parameter>\n"
	"</parameters>\n"
	"<actions>\n"
	"<action name=\"start\"        timeout=\"20s\" />\n"
	"<action name=\"stop\" timeout=\"1m\" />\n"
	"<action name=\"monitor\" depth=\"0\" timeout=\"30\" interval=\"10s\" role=\"Promoted\"/>\n"
	"<action name=\"monitor\" depth=\"0\" timeout=\"15s\" interval=\"2500ms\" />\n"
	"<action name=\"meta-data\" timeout=\"5s\" />\n"
	"</actions>\n"
	"</resource-agent>\n";

Test(ocf_meta, reads_description_parameters_and_actions)
{
	struct cfs_ocf_meta m;
	cr_assert_eq(cfs_ocf_meta_parse(doc, strlen(doc), &m), 0);
	cr_assert_str_eq(m.shortdesc, "Demo <agent> \xc3\xa9t\xc3\xa9");
	cr_assert_eq(m.nparams, 4);
	cr_assert_str_eq(m.params[0].name, "state");
	cr_assert_str_eq(m.params[0].content, "string");
	cr_assert(m.params[0].unique && !m.params[0].required);
	cr_assert_str_eq(m.params[0].dflt, "/run/x-\"q\".state");
	cr_assert_str_eq(m.params[1].name, "count");
	cr_assert_str_eq(m.params[1].content, "integer");
	cr_assert(m.params[1].required && !m.params[1].unique);
	cr_assert_null(m.params[1].dflt);
	cr_assert_str_eq(m.params[2].content, "boolean");
	cr_assert_str_eq(m.params[2].dflt, "false");
	cr_assert_str_eq(m.params[3].name, "cdata");
	cr_assert_eq(m.start_ms, 20000);
	cr_assert_eq(m.stop_ms, 60000);
	/* The monitor for a role is not the plain one. */
	cr_assert_eq(m.monitor_ms, 15000);
	cr_assert_eq(m.monitor_interval_ms, 2500);
	cfs_ocf_meta_free(&m);
}

Test(ocf_meta, refuses_what_is_not_an_agent_and_never_reads_past_the_end)
{
	struct cfs_ocf_meta m;
	cr_assert_eq(cfs_ocf_meta_parse("<html><body/></html>", 20, &m), -EINVAL);
	cr_assert_eq(cfs_ocf_meta_parse("", 0, &m), -EINVAL);
	/* Every prefix of the document parses or is refused, nothing else. */
	for (size_t n = 0; n < strlen(doc); n++) {
		char *copy = malloc(n ? n : 1);
		memcpy(copy, doc, n);
		int r = cfs_ocf_meta_parse(copy, n, &m);
		cr_assert(r == 0 || r == -EINVAL);
		if (r == 0)
			cfs_ocf_meta_free(&m);
		free(copy);
	}
}

/* Strings inline: Criterion copies parameters into another process. */
struct msec_case {
	char text[16];
	uint32_t ms;
};

ParameterizedTestParameters(ocf_meta, msec)
{
	static struct msec_case cases[] = {
		{"20s", 20000}, {"20", 20000}, {"100ms", 100}, {"2m", 120000}, {"1h", 3600000},
		{" 5 s", 5000}, {"1.5s", 1500}, {"x", 0}, {"-1", 0}, {"10d", 0}, {"", 0},
	};
	return cr_make_param_array(struct msec_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct msec_case *c, ocf_meta, msec)
{
	cr_assert_eq(cfs_ocf_msec(c->text), c->ms, "%s", c->text);
}
