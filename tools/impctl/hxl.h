#ifndef IMP_TOOLS_IMPCTL_HXL_H_
#define IMP_TOOLS_IMPCTL_HXL_H_

#include <map>
#include <string>
#include <vector>

#include "imp/activity/v1/activity.pb.h"
#include "imp/registry/v1/registry.pb.h"

// The "3W" (who does what where) sheet of `impctl export hxl`: one row per activity, a header
// row for people and an HXL hashtag row under it (hxlstandard.org). One row per activity rather
// than per agreement party: an activity has one host (who), one kind and cooperation area
// (what) and one place (where), and its counts belong to it once, so the columns add up to the
// programme summary; a row per party would repeat each count once per party.
namespace imp::impctl::hxl {

struct Column {
  const char* header;
  const char* hashtag;
};
// The columns, in order.
const std::vector<Column>& Columns();

// The row of `activity`. `host`: its host institution (nullptr: named by id only);
// `area_labels`: cooperation-area labels by code. Text cells are SpreadsheetSafe
// (csv.h): what a spreadsheet would run as a formula gets an apostrophe in front.
std::vector<std::string> Row(const activity::v1::Activity& activity,
                             const registry::v1::Institution* host,
                             const std::map<std::string, std::string>& area_labels);

// The figures of a row, as the programme summary counts them (ActivityTotals of one activity):
// trainees = headcount of trainings and events, of which doctors; patients helped = operations'
// patients treated + telemedicine patients; visits = 1 per visit.
struct Figures {
  int64_t trainees = 0, trainee_doctors = 0, patients_helped = 0, operations = 0, visits = 0,
          consultations = 0;
};
Figures FiguresOf(const activity::v1::Activity& activity);

}  // namespace imp::impctl::hxl

#endif  // IMP_TOOLS_IMPCTL_HXL_H_
