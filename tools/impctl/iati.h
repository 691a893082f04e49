#ifndef IMP_TOOLS_IMPCTL_IATI_H_
#define IMP_TOOLS_IMPCTL_IATI_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

// The IATI Activity Standard 2.03 as impctl writes it: a plain model of one iati-activity (what
// a source such as an agreement or a project maps to) and a streaming writer that puts each one
// out as soon as it is built, in the element order the schema's sequence requires. Codes are
// IATI codelist values as text ("4" = Implementing); the writer checks no codelist, the mapping
// code (iati_codes.h) owns them. Text is escaped for XML 1.0; characters XML cannot carry
// (controls other than tab, line feed and carriage return; U+FFFE, U+FFFF) become U+FFFD.
namespace imp::impctl::iati {

// One human-readable text; `lang` is an ISO 639-1 code, empty for the activity's default (en).
struct Narrative {
  std::string text;
  std::string lang;
};

// An organisation: `ref` is its IATI organisation identifier (empty when it has none: then the
// narratives carry its name), `type` an OrganisationType code (empty when unknown).
struct Organisation {
  std::string ref;
  std::string type;
  std::vector<Narrative> names;
};

struct ParticipatingOrg {
  Organisation org;
  std::string role;  // OrganisationRole
};

struct ActivityDate {
  std::string type;      // ActivityDateType: 1 planned start, 2 actual start, 3/4 end
  std::string iso_date;  // YYYY-MM-DD
  std::string narrative;
};

struct RecipientCountry {
  std::string code;        // ISO 3166-1 alpha-2
  std::string percentage;  // decimal text, e.g. "100"
  std::string name;
};

// A place the activity happens at sub-national level (for imp: a Ukrainian oblast).
struct Location {
  std::string ref;    // the reporter's own key, e.g. "UA-46"
  std::string reach;  // GeographicLocationReach
  std::string name;
  std::string admin_vocabulary, admin_code, admin_level;  // GeographicVocabulary, code, level
  std::string exactness;                                  // GeographicExactness
  std::string location_class;                             // GeographicLocationClass
  std::string feature_designation;                        // LocationType, e.g. ADM1
};

struct Sector {
  std::string vocabulary;  // SectorVocabulary: 1 = OECD DAC 5-digit, 99 = reporting org's own
  std::string code;
  std::string percentage;  // the percentages of one vocabulary add up to 100
  std::string narrative;
};

// An amount of money: decimal text, ISO 4217 currency, the date its exchange value is taken.
struct Value {
  std::string amount;
  std::string currency;
  std::string value_date;
};

struct Budget {
  std::string type;    // BudgetType: 1 original, 2 revised
  std::string status;  // BudgetStatus: 1 indicative, 2 committed
  std::string period_start, period_end;
  Value value;
};

struct Transaction {
  std::string ref;
  std::string type;  // TransactionType: 2 commitment, 3 disbursement, 4 expenditure...
  std::string date;
  Value value;
  std::string description;
  Organisation provider, receiver;  // written when they have a ref or a name
};

struct DocumentLink {
  std::string url;
  std::string format;  // IANA media type
  std::string title;
  std::string category;  // DocumentCategory, e.g. A09 memorandum of understanding
};

// Another IATI activity this one belongs with (e.g. a project under an agreement: the
// agreement's identifier, type 1 parent).
struct RelatedActivity {
  std::string ref;  // its iati-identifier
  std::string
      type;  // RelatedActivityType: 1 parent, 2 child, 3 sibling, 4 co-funded, 5 third party
};

struct IndicatorPeriod {
  std::string start, end;  // YYYY-MM-DD
  int64_t actual = 0;
  bool has_target = false;  // a target is written only when there is one
  int64_t target = 0;
};

struct Indicator {
  std::string title;
  std::string description;    // empty to leave out
  std::string measure = "1";  // IndicatorMeasure: 1 unit
  bool ascending = true;
  std::vector<IndicatorPeriod> periods;  // none is valid (e.g. no period is known yet)
};

struct Result {
  std::string type = "1";  // ResultType: 1 output
  bool aggregation_status = true;
  std::string title;
  std::string description;
  std::vector<Indicator> indicators;  // at least one
};

// One description element: its DescriptionType (1 general, 2 objectives, 3 target groups, 4
// other) and its narratives, one per language.
struct Description {
  std::string type = "1";
  std::vector<Narrative> narratives;
};

// One iati-activity. Required by the schema: identifier, reporting org, title, a description,
// a participating org, a status and a date; the writer refuses nothing and leaves those checks
// to the sources' tests (xmllint against the official schema).
struct Activity {
  std::string identifier;        // <reporting-org ref>-<the source's own id>
  std::string last_updated;      // xsd:dateTime, empty to leave out
  std::string default_currency;  // ISO 4217, empty to leave out (needed with budgets)
  std::string title;
  std::vector<Narrative> title_translations;  // further narratives of the title (xml:lang set)
  std::vector<Description> descriptions;      // the schema wants at least one
  std::vector<ParticipatingOrg> participating_orgs;
  std::string status;  // ActivityStatus
  std::vector<ActivityDate> dates;
  std::vector<RecipientCountry> recipient_countries;
  std::vector<Location> locations;
  std::vector<Sector> sectors;
  std::vector<Budget> budgets;
  std::vector<Transaction> transactions;
  std::vector<DocumentLink> documents;
  std::vector<RelatedActivity> related_activities;
  std::vector<Result> results;
};

// Writes <iati-activities version="2.03"> to `out` one activity at a time. Memory holds one
// activity, whatever the number written. The stream's state tells whether writing failed.
class Writer {
 public:
  // `generated` is an xsd:dateTime; `reporting_org` goes into every activity (IATI wants the
  // same reporting-org ref throughout one file).
  Writer(std::ostream* out, Organisation reporting_org, std::string generated);

  // The first call also writes the XML declaration and the opening <iati-activities>.
  void Write(const Activity& activity);
  // Closes the document. The schema wants at least one activity: with none written, End()
  // writes nothing and returns false.
  bool End();

  int64_t written() const { return written_; }
  std::ostream& stream() { return out_; }

 private:
  std::ostream& out_;
  const Organisation reporting_org_;
  const std::string generated_;
  int64_t written_ = 0;
};

// Text as XML character data / an attribute value (quotes escaped, line breaks kept as &#10;).
std::string XmlText(const std::string& text);
std::string XmlAttribute(const std::string& text);

}  // namespace imp::impctl::iati

#endif  // IMP_TOOLS_IMPCTL_IATI_H_
