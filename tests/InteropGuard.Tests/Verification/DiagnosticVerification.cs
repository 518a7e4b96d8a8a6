using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Verification
{
    /// <summary>An expected diagnostic with its markers resolved to a file and span.</summary>
    public sealed record ResolvedExpectation(
        string Id,
        string? Path,
        TextSpan Span,
        bool StartOnly,
        ImmutableArray<(string Path, TextSpan Span)> AdditionalLocations,
        string? Message,
        ImmutableArray<object?>? MessageArguments,
        DiagnosticSeverity? Severity)
    {
        public string Describe(IReadOnlyList<string> texts) =>
            Id + " " + DiagnosticVerification.DescribeLocation(Path, Span, texts, StartOnly)
            + (Message != null ? " with message \"" + Message + "\"" : string.Empty)
            + (Severity is DiagnosticSeverity severity ? " with severity " + severity : string.Empty);
    }

    /// <summary>
    /// Expected-versus-actual comparison of diagnostics. Matching is a multiset match on id and exact location, so
    /// a wrong span shows up as one missing and one unexpected diagnostic, both drawn into the source.
    /// </summary>
    public static class DiagnosticVerification
    {
        public static List<ResolvedExpectation> Resolve(
            IReadOnlyList<Markup> sources,
            IEnumerable<DiagnosticResult> explicitResults,
            Func<string> defaultId)
        {
            var expectations = new List<ResolvedExpectation>();
            var markers = new Dictionary<int, (string Path, TextSpan Span)>();
            for (int file = 0; file < sources.Count; file++)
            {
                foreach (var span in sources[file].Spans)
                {
                    if (span.IsLocationMarker)
                    {
                        if (!markers.TryAdd(span.LocationKey, (TestProject.SourcePath(file), span.Span)))
                        {
                            throw new VerificationException($"Markup location {span.Name} is used more than once.");
                        }
                    }
                    else
                    {
                        expectations.Add(new ResolvedExpectation(
                            span.Name ?? defaultId(),
                            TestProject.SourcePath(file),
                            span.Span,
                            StartOnly: false,
                            ImmutableArray<(string, TextSpan)>.Empty,
                            null,
                            null,
                            null));
                    }
                }
            }

            foreach (var result in explicitResults)
            {
                var locations = result.Locations.Select(l => ResolveLocation(l, sources, markers, result)).ToList();
                expectations.Add(new ResolvedExpectation(
                    result.Id,
                    locations.Count > 0 ? locations[0].Path : null,
                    locations.Count > 0 ? locations[0].Span : default,
                    locations.Count > 0 && locations[0].StartOnly,
                    locations.Skip(1).Select(l => (l.Path, l.Span)).ToImmutableArray(),
                    result.Message,
                    result.MessageArguments,
                    result.Severity));
            }

            return expectations;
        }

        private static (string Path, TextSpan Span, bool StartOnly) ResolveLocation(
            ExpectedLocation location,
            IReadOnlyList<Markup> sources,
            Dictionary<int, (string Path, TextSpan Span)> markers,
            DiagnosticResult result)
        {
            if (location.MarkerKey is int key)
            {
                if (!markers.TryGetValue(key, out var marker))
                {
                    throw new VerificationException($"{result}: no markup location {{|#{key}:…|}} in the sources.");
                }

                return (marker.Path, marker.Span, false);
            }

            string path = location.Path ?? TestProject.SourcePath(0);
            int file = Enumerable.Range(0, sources.Count).FirstOrDefault(i => TestProject.SourcePath(i) == path, -1);
            if (file < 0)
            {
                throw new VerificationException($"{result}: there is no source file '{path}'.");
            }

            var text = SourceText.From(sources[file].Text);
            int start = Position(text, location.StartLine, location.StartColumn, result);
            if (location.EndLine is int endLine && location.EndColumn is int endColumn)
            {
                return (path, TextSpan.FromBounds(start, Position(text, endLine, endColumn, result)), false);
            }

            return (path, new TextSpan(start, 0), true);
        }

        private static int Position(SourceText text, int line, int column, DiagnosticResult result)
        {
            if (line < 1 || line > text.Lines.Count || column < 1 || column - 1 > text.Lines[line - 1].Span.Length)
            {
                throw new VerificationException($"{result}: line {line}, column {column} is outside the source.");
            }

            return text.Lines[line - 1].Start + column - 1;
        }

        /// <summary>Throws a <see cref="VerificationException"/> describing every difference.</summary>
        public static void Compare(string what, IReadOnlyList<string> texts, IReadOnlyList<ResolvedExpectation> expected, ImmutableArray<Diagnostic> actual)
        {
            var unmatchedActual = actual.ToList();
            var missing = new List<ResolvedExpectation>();
            var mismatched = new List<(ResolvedExpectation Expected, Diagnostic Actual)>();

            foreach (var expectation in expected)
            {
                var exact = unmatchedActual.FirstOrDefault(a => a.Id == expectation.Id && LocationMatches(expectation, a) && DetailsMatch(expectation, a));
                if (exact != null)
                {
                    unmatchedActual.Remove(exact);
                    continue;
                }

                missing.Add(expectation);
            }

            foreach (var expectation in missing.ToList())
            {
                var sameLocation = unmatchedActual.FirstOrDefault(a => a.Id == expectation.Id && LocationMatches(expectation, a));
                if (sameLocation != null)
                {
                    unmatchedActual.Remove(sameLocation);
                    missing.Remove(expectation);
                    mismatched.Add((expectation, sameLocation));
                }
            }

            if (missing.Count == 0 && unmatchedActual.Count == 0 && mismatched.Count == 0)
            {
                return;
            }

            var message = new StringBuilder($"Diagnostics of the {what} do not match the expectation.\n");
            if (missing.Count > 0)
            {
                message.Append("Missing (expected, not reported):\n");
                foreach (var expectation in missing)
                {
                    message.Append("  ").Append(expectation.Describe(texts)).Append('\n');
                }
            }

            if (unmatchedActual.Count > 0)
            {
                message.Append("Unexpected (reported, not expected):\n");
                foreach (var diagnostic in unmatchedActual)
                {
                    message.Append("  ").Append(Describe(diagnostic, texts)).Append('\n');
                }
            }

            foreach (var (expectation, diagnostic) in mismatched)
            {
                message.Append("Wrong details at ").Append(DescribeLocation(expectation.Path, expectation.Span, texts, expectation.StartOnly)).Append(" for ").Append(expectation.Id).Append(":\n");
                string actualMessage = diagnostic.GetMessage(CultureInfo.InvariantCulture);
                string? expectedMessage = ExpectedMessage(expectation, diagnostic);
                if (expectedMessage != null && expectedMessage != actualMessage)
                {
                    message.Append("  expected message: ").Append(expectedMessage).Append('\n');
                    message.Append("  actual message:   ").Append(actualMessage).Append('\n');
                }

                if (expectation.Severity is DiagnosticSeverity severity && severity != diagnostic.Severity)
                {
                    message.Append("  expected severity ").Append(severity).Append(", actual ").Append(diagnostic.Severity).Append('\n');
                }

                if (!AdditionalLocationsMatch(expectation, diagnostic))
                {
                    message.Append("  additional locations differ: expected ")
                        .Append(string.Join(", ", expectation.AdditionalLocations.Select(l => DescribeLocation(l.Path, l.Span, texts, false))))
                        .Append("; actual ")
                        .Append(string.Join(", ", diagnostic.AdditionalLocations.Select(l => DescribeLocation(l.SourceTree?.FilePath, l.SourceSpan, texts, false))))
                        .Append('\n');
                }
            }

            AppendSources(message, texts, expected, actual);
            throw new VerificationException(message.ToString());
        }

        /// <summary>Every file with an expected or actual diagnostic, drawn twice: as expected and as reported.</summary>
        public static void AppendSources(StringBuilder message, IReadOnlyList<string> texts, IReadOnlyList<ResolvedExpectation> expected, ImmutableArray<Diagnostic> actual)
        {
            for (int file = 0; file < texts.Count; file++)
            {
                string path = TestProject.SourcePath(file);
                var expectedHere = expected.Where(e => e.Path == path).Select(e => (e.Id, e.Span)).ToList();
                var actualHere = actual.Where(a => a.Location.IsInSource && a.Location.SourceTree!.FilePath == path)
                    .Select(a => (a.Id, a.Location.SourceSpan)).ToList();
                if (expectedHere.Count == 0 && actualHere.Count == 0)
                {
                    continue;
                }

                message.Append("\n--- expected in ").Append(path).Append(" ---\n").Append(MarkupRendering.Render(texts[file], expectedHere));
                message.Append("\n--- actual in ").Append(path).Append(" (paste-able markup) ---\n").Append(MarkupRendering.Render(texts[file], actualHere)).Append('\n');
            }

            var expectedNone = expected.Where(e => e.Path == null).ToList();
            var actualNone = actual.Where(a => !a.Location.IsInSource).ToList();
            if (expectedNone.Count > 0 || actualNone.Count > 0)
            {
                message.Append("\n--- diagnostics without a source location ---\n");
                message.Append("expected: ").Append(expectedNone.Count == 0 ? "none" : string.Join(", ", expectedNone.Select(e => e.Id))).Append('\n');
                message.Append("actual:   ").Append(actualNone.Count == 0 ? "none" : string.Join(", ", actualNone.Select(a => a.Id + ": " + a.GetMessage(CultureInfo.InvariantCulture)))).Append('\n');
            }
        }

        public static string Describe(Diagnostic diagnostic, IReadOnlyList<string> texts) =>
            diagnostic.Id + " " + DescribeLocation(diagnostic.Location.IsInSource ? diagnostic.Location.SourceTree!.FilePath : null, diagnostic.Location.SourceSpan, texts, false)
            + ": " + diagnostic.GetMessage(CultureInfo.InvariantCulture) + " [" + diagnostic.Severity + "]";

        public static string DescribeLocation(string? path, TextSpan span, IReadOnlyList<string> texts, bool startOnly)
        {
            if (path == null)
            {
                return "(no location)";
            }

            int file = Enumerable.Range(0, texts.Count).FirstOrDefault(i => TestProject.SourcePath(i) == path, -1);
            if (file < 0 || span.End > texts[file].Length)
            {
                return path + "[" + span + "]";
            }

            var text = SourceText.From(texts[file]);
            var start = text.Lines.GetLinePosition(span.Start);
            var end = text.Lines.GetLinePosition(span.End);
            if (startOnly)
            {
                return $"{path}({start.Line + 1},{start.Character + 1})";
            }

            return $"{path}({start.Line + 1},{start.Character + 1})-({end.Line + 1},{end.Character + 1}) '{Shorten(texts[file].Substring(span.Start, span.Length))}'";
        }

        private static string Shorten(string s)
        {
            s = s.Replace("\r", string.Empty).Replace("\n", "\\n");
            return s.Length <= 60 ? s : s.Substring(0, 57) + "...";
        }

        private static bool LocationMatches(ResolvedExpectation expectation, Diagnostic actual)
        {
            if (expectation.Path == null)
            {
                return !actual.Location.IsInSource;
            }

            if (!actual.Location.IsInSource || actual.Location.SourceTree!.FilePath != expectation.Path)
            {
                return false;
            }

            return expectation.StartOnly
                ? actual.Location.SourceSpan.Start == expectation.Span.Start
                : actual.Location.SourceSpan == expectation.Span;
        }

        private static bool AdditionalLocationsMatch(ResolvedExpectation expectation, Diagnostic actual)
        {
            if (expectation.AdditionalLocations.IsEmpty)
            {
                return true;
            }

            return actual.AdditionalLocations.Count == expectation.AdditionalLocations.Length
                && actual.AdditionalLocations.Zip(expectation.AdditionalLocations).All(pair =>
                    pair.First.IsInSource && pair.First.SourceTree!.FilePath == pair.Second.Path && pair.First.SourceSpan == pair.Second.Span);
        }

        private static bool DetailsMatch(ResolvedExpectation expectation, Diagnostic actual)
        {
            string? expectedMessage = ExpectedMessage(expectation, actual);
            return (expectedMessage == null || expectedMessage == actual.GetMessage(CultureInfo.InvariantCulture))
                && (expectation.Severity == null || expectation.Severity == actual.Severity)
                && AdditionalLocationsMatch(expectation, actual);
        }

        private static string? ExpectedMessage(ResolvedExpectation expectation, Diagnostic actual)
        {
            if (expectation.Message != null)
            {
                return expectation.Message;
            }

            if (expectation.MessageArguments is ImmutableArray<object?> arguments)
            {
                return string.Format(CultureInfo.InvariantCulture, actual.Descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture), arguments.ToArray());
            }

            return null;
        }
    }
}
