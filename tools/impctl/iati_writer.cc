// The IATI 2.03 writer: each activity is rendered into one string (its elements in the order of
// the schema's xsd:sequence for iati-activity) and handed to the stream, so memory holds one
// activity at a time.
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/impctl/iati.h"

namespace imp::impctl::iati {
namespace {

// The next code point of UTF-8 `s` at `*i` (advancing it), or -1 for a malformed sequence
// (one byte consumed).
int32_t NextCodePoint(const std::string& s, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(*i);
  int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return -1;
  }
  int32_t cp = len == 1 ? c : c & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    if ((byte(*i + k) >> 6) != 0x2) {
      ++*i;
      return -1;
    }
    cp = (cp << 6) | (byte(*i + k) & 0x3F);
  }
  *i += len;
  return cp;
}

bool XmlAllows(int32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

std::string Escape(const std::string& text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const int32_t cp = NextCodePoint(text, &i);
    if (cp < 0 || !XmlAllows(cp)) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      continue;
    }
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      // In attributes, quotes end the value and a parser normalises raw line breaks and tabs
      // to spaces; character references keep them.
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default: out.append(text, start, i - start);
    }
  }
  return out;
}

using Attributes = std::vector<std::pair<const char*, std::string>>;

// Renders one activity, indented two spaces a level. Attributes are written only when they
// have a value.
class Builder {
 public:
  explicit Builder(std::string* out) : out_(*out) {}

  void Open(const char* name, const Attributes& attributes) {
    Tag(name, attributes, ">\n");
    ++depth_;
  }
  void Close(const char* name) {
    --depth_;
    Indent();
    absl::StrAppend(&out_, "</", name, ">\n");
  }
  // <name a="v"/>
  void Leaf(const char* name, const Attributes& attributes) { Tag(name, attributes, "/>\n"); }
  // <name a="v">character data</name>
  void Data(const char* name, const std::string& data, const Attributes& attributes = {}) {
    Tag(name, attributes, ">");
    absl::StrAppend(&out_, XmlText(data), "</", name, ">\n");
  }
  // <name a="v"><narrative>text</narrative></name>
  void Text(const char* name, const std::string& text, const Attributes& attributes = {}) {
    Open(name, attributes);
    Data("narrative", text);
    Close(name);
  }
  void Narrative(const iati::Narrative& n) { Data("narrative", n.text, {{"xml:lang", n.lang}}); }
  void Org(const char* name, const Organisation& org, const Attributes& more = {}) {
    Attributes attributes = {{"ref", org.ref}};
    attributes.insert(attributes.end(), more.begin(), more.end());
    attributes.push_back({"type", org.type});
    Open(name, attributes);
    for (const auto& n : org.names) Narrative(n);
    Close(name);
  }
  void Money(const char* name, const Value& v) {
    Data(name, v.amount, {{"currency", v.currency}, {"value-date", v.value_date}});
  }

 private:
  void Indent() { out_.append(2 * depth_, ' '); }
  void Tag(const char* name, const Attributes& attributes, const char* end) {
    Indent();
    absl::StrAppend(&out_, "<", name);
    for (const auto& [key, value] : attributes) {
      if (!value.empty()) absl::StrAppend(&out_, " ", key, "=\"", XmlAttribute(value), "\"");
    }
    out_ += end;
  }

  std::string& out_;
  int depth_ = 1;  // inside <iati-activities>
};

void WriteResult(Builder& b, const Result& r) {
  b.Open("result",
         {{"type", r.type}, {"aggregation-status", r.aggregation_status ? "true" : "false"}});
  b.Text("title", r.title);
  if (!r.description.empty()) b.Text("description", r.description);
  for (const auto& ind : r.indicators) {
    b.Open("indicator",
           {{"measure", ind.measure}, {"ascending", ind.ascending ? "true" : "false"}});
    b.Text("title", ind.title);
    if (!ind.description.empty()) b.Text("description", ind.description);
    for (const auto& p : ind.periods) {
      b.Open("period", {});
      b.Leaf("period-start", {{"iso-date", p.start}});
      b.Leaf("period-end", {{"iso-date", p.end}});
      if (p.has_target) b.Leaf("target", {{"value", absl::StrCat(p.target)}});
      b.Leaf("actual", {{"value", absl::StrCat(p.actual)}});
      b.Close("period");
    }
    b.Close("indicator");
  }
  b.Close("result");
}

}  // namespace

std::string XmlText(const std::string& text) { return Escape(text, false); }
std::string XmlAttribute(const std::string& text) { return Escape(text, true); }

Writer::Writer(std::ostream* out, Organisation reporting_org, std::string generated)
    : out_(*out), reporting_org_(std::move(reporting_org)), generated_(std::move(generated)) {}

void Writer::Write(const Activity& a) {
  if (written_ == 0) {
    out_ << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         << "<iati-activities version=\"2.03\" generated-datetime=\"" << XmlAttribute(generated_)
         << "\">\n";
  }
  std::string xml;
  Builder b(&xml);
  b.Open("iati-activity", {{"last-updated-datetime", a.last_updated},
                           {"xml:lang", "en"},
                           {"default-currency", a.default_currency}});
  b.Data("iati-identifier", a.identifier);
  b.Org("reporting-org", reporting_org_);
  b.Open("title", {});
  b.Data("narrative", a.title);
  for (const auto& n : a.title_translations) b.Narrative(n);
  b.Close("title");
  for (const auto& d : a.descriptions) {
    b.Open("description", {{"type", d.type}});
    for (const auto& n : d.narratives) b.Narrative(n);
    b.Close("description");
  }
  for (const auto& p : a.participating_orgs) b.Org("participating-org", p.org, {{"role", p.role}});
  b.Leaf("activity-status", {{"code", a.status}});
  for (const auto& d : a.dates) {
    if (d.narrative.empty()) {
      b.Leaf("activity-date", {{"type", d.type}, {"iso-date", d.iso_date}});
    } else {
      b.Text("activity-date", d.narrative, {{"type", d.type}, {"iso-date", d.iso_date}});
    }
  }
  for (const auto& c : a.recipient_countries) {
    if (c.name.empty()) {
      b.Leaf("recipient-country", {{"code", c.code}, {"percentage", c.percentage}});
    } else {
      b.Text("recipient-country", c.name, {{"code", c.code}, {"percentage", c.percentage}});
    }
  }
  for (const auto& l : a.locations) {
    b.Open("location", {{"ref", l.ref}});
    if (!l.reach.empty()) b.Leaf("location-reach", {{"code", l.reach}});
    if (!l.name.empty()) b.Text("name", l.name);
    if (!l.admin_code.empty()) {
      b.Leaf(
          "administrative",
          {{"vocabulary", l.admin_vocabulary}, {"level", l.admin_level}, {"code", l.admin_code}});
    }
    if (!l.exactness.empty()) b.Leaf("exactness", {{"code", l.exactness}});
    if (!l.location_class.empty()) b.Leaf("location-class", {{"code", l.location_class}});
    if (!l.feature_designation.empty())
      b.Leaf("feature-designation", {{"code", l.feature_designation}});
    b.Close("location");
  }
  for (const auto& s : a.sectors) {
    const Attributes attributes = {
        {"vocabulary", s.vocabulary}, {"code", s.code}, {"percentage", s.percentage}};
    if (s.narrative.empty()) {
      b.Leaf("sector", attributes);
    } else {
      b.Text("sector", s.narrative, attributes);
    }
  }
  for (const auto& bu : a.budgets) {
    b.Open("budget", {{"type", bu.type}, {"status", bu.status}});
    b.Leaf("period-start", {{"iso-date", bu.period_start}});
    b.Leaf("period-end", {{"iso-date", bu.period_end}});
    b.Money("value", bu.value);
    b.Close("budget");
  }
  for (const auto& t : a.transactions) {
    b.Open("transaction", {{"ref", t.ref}});
    b.Leaf("transaction-type", {{"code", t.type}});
    b.Leaf("transaction-date", {{"iso-date", t.date}});
    b.Money("value", t.value);
    if (!t.description.empty()) b.Text("description", t.description);
    if (!t.provider.ref.empty() || !t.provider.names.empty()) b.Org("provider-org", t.provider);
    if (!t.receiver.ref.empty() || !t.receiver.names.empty()) b.Org("receiver-org", t.receiver);
    b.Close("transaction");
  }
  for (const auto& d : a.documents) {
    b.Open("document-link", {{"url", d.url}, {"format", d.format}});
    b.Text("title", d.title);
    b.Leaf("category", {{"code", d.category}});
    b.Close("document-link");
  }
  for (const auto& r : a.related_activities) {
    b.Leaf("related-activity", {{"ref", r.ref}, {"type", r.type}});
  }
  for (const auto& r : a.results) WriteResult(b, r);
  b.Close("iati-activity");
  out_ << xml;
  ++written_;
}

bool Writer::End() {
  if (written_ == 0) return false;
  out_ << "</iati-activities>\n";
  return true;
}

}  // namespace imp::impctl::iati
