using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Verification
{
    /// <summary>
    /// Where an expected diagnostic is: a <c>{|#n:…|}</c> marker, or a 1-based line/column position
    /// (with an end for an exact span, without one to check only the start).
    /// </summary>
    public readonly record struct ExpectedLocation(int? MarkerKey, string? Path, int StartLine, int StartColumn, int? EndLine, int? EndColumn)
    {
        public override string ToString()
        {
            if (MarkerKey is int key)
            {
                return "{|#" + key.ToString(CultureInfo.InvariantCulture) + ":…|}";
            }

            var s = new StringBuilder();
            s.Append(Path ?? "/0/Test0.cs").Append('(').Append(StartLine).Append(',').Append(StartColumn).Append(')');
            if (EndLine is int el && EndColumn is int ec)
            {
                s.Append("-(").Append(el).Append(',').Append(ec).Append(')');
            }

            return s.ToString();
        }
    }

    /// <summary>
    /// An expected diagnostic, built fluently from <see cref="Verify.Diagnostic(string)"/>. Immutable: every
    /// <c>With…</c> returns a new instance, so a result can be shared between tests.
    /// </summary>
    public sealed class DiagnosticResult
    {
        private DiagnosticResult(string id, ImmutableArray<ExpectedLocation> locations, bool noLocation, string? message, ImmutableArray<object?>? arguments, DiagnosticSeverity? severity)
        {
            Id = id;
            Locations = locations;
            HasNoLocation = noLocation;
            Message = message;
            MessageArguments = arguments;
            Severity = severity;
        }

        public DiagnosticResult(string id)
            : this(id, ImmutableArray<ExpectedLocation>.Empty, false, null, null, null)
        {
        }

        public string Id { get; }

        /// <summary>First is the primary location; the rest are checked against the diagnostic's additional locations.</summary>
        public ImmutableArray<ExpectedLocation> Locations { get; }

        public bool HasNoLocation { get; }

        public string? Message { get; }

        public ImmutableArray<object?>? MessageArguments { get; }

        public DiagnosticSeverity? Severity { get; }

        /// <summary>The span of the <c>{|#key:…|}</c> marker in the test sources.</summary>
        public DiagnosticResult WithLocation(int markupKey) =>
            AddLocation(new ExpectedLocation(markupKey, null, 0, 0, null, null));

        /// <summary>Checks only where the diagnostic starts (1-based) in /0/Test0.cs.</summary>
        public DiagnosticResult WithLocation(int line, int column) =>
            AddLocation(new ExpectedLocation(null, null, line, column, null, null));

        public DiagnosticResult WithLocation(string path, int line, int column) =>
            AddLocation(new ExpectedLocation(null, path, line, column, null, null));

        /// <summary>An exact span, 1-based lines and columns, end exclusive, in /0/Test0.cs.</summary>
        public DiagnosticResult WithSpan(int startLine, int startColumn, int endLine, int endColumn) =>
            AddLocation(new ExpectedLocation(null, null, startLine, startColumn, endLine, endColumn));

        public DiagnosticResult WithSpan(string path, int startLine, int startColumn, int endLine, int endColumn) =>
            AddLocation(new ExpectedLocation(null, path, startLine, startColumn, endLine, endColumn));

        /// <summary>For compilation-level diagnostics reported with <see cref="Location.None"/> (e.g. IG0001).</summary>
        public DiagnosticResult WithNoLocation()
        {
            if (!Locations.IsEmpty)
            {
                throw new InvalidOperationException($"{Id}: WithNoLocation cannot be combined with WithLocation/WithSpan.");
            }

            return new DiagnosticResult(Id, Locations, true, Message, MessageArguments, Severity);
        }

        /// <summary>The exact formatted message.</summary>
        public DiagnosticResult WithMessage(string message) =>
            new DiagnosticResult(Id, Locations, HasNoLocation, message, MessageArguments, Severity);

        /// <summary>The message is the descriptor's format filled with these arguments.</summary>
        public DiagnosticResult WithArguments(params object?[] arguments) =>
            new DiagnosticResult(Id, Locations, HasNoLocation, Message, arguments.ToImmutableArray(), Severity);

        public DiagnosticResult WithSeverity(DiagnosticSeverity severity) =>
            new DiagnosticResult(Id, Locations, HasNoLocation, Message, MessageArguments, severity);

        private DiagnosticResult AddLocation(ExpectedLocation location)
        {
            if (HasNoLocation)
            {
                throw new InvalidOperationException($"{Id}: WithLocation/WithSpan cannot be combined with WithNoLocation.");
            }

            return new DiagnosticResult(Id, Locations.Add(location), false, Message, MessageArguments, Severity);
        }

        public override string ToString()
        {
            var s = new StringBuilder(Id);
            if (HasNoLocation)
            {
                s.Append(" (no location)");
            }

            foreach (var location in Locations)
            {
                s.Append(" at ").Append(location);
            }

            if (Message != null)
            {
                s.Append(": \"").Append(Message).Append('"');
            }

            return s.ToString();
        }
    }

    /// <summary>Entry point for expected diagnostics, named as in Microsoft.CodeAnalysis.Testing's verifiers.</summary>
    public static class Verify
    {
        public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id);

        public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new DiagnosticResult(descriptor.Id);
    }
}
