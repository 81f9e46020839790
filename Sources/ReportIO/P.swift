import ReportCore
