using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

// Test-only fixers for the verifier's own tests; several are wrong on purpose.
namespace InteropGuard.Tests.VerifierTests
{
    /// <summary>Renames the called method; subclasses choose the new name and the actions they register.</summary>
    internal abstract class RenameCallFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(TestDescriptors.BadCall.Id);

        public override FixAllProvider? GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            foreach (var diagnostic in context.Diagnostics)
            {
                var invocation = root!.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>();
                if (invocation?.Expression is not IdentifierNameSyntax name)
                {
                    continue;
                }

                foreach (var (key, newName) in Renames(name.Identifier.ValueText))
                {
                    var document = context.Document;
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            $"Rename to {newName}",
                            ct => RenameAsync(document, name, newName, ct),
                            key),
                        diagnostic);
                }
            }
        }

        /// <summary>(equivalence key, new name) per action, safest first.</summary>
        protected abstract (string Key, string NewName)[] Renames(string oldName);

        private static async Task<Document> RenameAsync(Document document, IdentifierNameSyntax name, string newName, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var renamed = name.WithIdentifier(SyntaxFactory.Identifier(name.Identifier.LeadingTrivia, newName, name.Identifier.TrailingTrivia));
            return document.WithSyntaxRoot(root!.ReplaceNode(name, renamed));
        }
    }

    /// <summary>Correct: Bad → Good (key "Rename.Good"), alternative Bad → Better (key "Rename.Better").</summary>
    internal sealed class RenameToGoodFix : RenameCallFix
    {
        protected override (string Key, string NewName)[] Renames(string oldName) =>
            new[] { ("Rename.Good", "Good"), ("Rename.Better", "Better") };
    }

    /// <summary>Fixes only calls named exactly "Bad"; other "Bad…" calls get no action.</summary>
    internal sealed class RenameOnlyExactBadFix : RenameCallFix
    {
        protected override (string Key, string NewName)[] Renames(string oldName) =>
            oldName == "Bad" ? new[] { ("Rename.Good", "Good") } : Array.Empty<(string, string)>();
    }

    /// <summary>Wrong: Bad → Bad2 → Bad3 …, so the diagnostic never goes away.</summary>
    internal sealed class LoopingFix : RenameCallFix
    {
        protected override (string Key, string NewName)[] Renames(string oldName)
        {
            int next = oldName.Length > 3 && int.TryParse(oldName.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n + 1 : 2;
            return new[] { ("Rename.Next", "Bad" + next.ToString(CultureInfo.InvariantCulture)) };
        }
    }

    /// <summary>Wrong: renames to a method that does not exist.</summary>
    internal sealed class NonCompilingFix : RenameCallFix
    {
        protected override (string Key, string NewName)[] Renames(string oldName) => new[] { ("Rename.Missing", "Missing") };
    }

    /// <summary>Wrong: renames to an [Obsolete] method, a new compiler warning.</summary>
    internal sealed class NewWarningFix : RenameCallFix
    {
        protected override (string Key, string NewName)[] Renames(string oldName) => new[] { ("Rename.Old", "Old") };
    }

    /// <summary>Wrong: the action returns the document unchanged.</summary>
    internal sealed class NoChangeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(TestDescriptors.BadCall.Id);

        public override FixAllProvider? GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var document = context.Document;
            context.RegisterCodeFix(CodeAction.Create("Do nothing", _ => Task.FromResult(document), "Nothing"), context.Diagnostics);
            return Task.CompletedTask;
        }
    }

    /// <summary>Wrong for a fix test: registers no action at all.</summary>
    internal sealed class NoActionFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(TestDescriptors.BadCall.Id);

        public override FixAllProvider? GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override Task RegisterCodeFixesAsync(CodeFixContext context) => Task.CompletedTask;
    }

    /// <summary>Wrong: correct single fix, but no Fix All.</summary>
    internal sealed class NoFixAllFix : RenameCallFix
    {
        public override FixAllProvider? GetFixAllProvider() => null;

        protected override (string Key, string NewName)[] Renames(string oldName) => new[] { ("Rename.Good", "Good") };
    }

    /// <summary>Wrong: Fix All only in Document scope, so dotnet format would skip it.</summary>
    internal sealed class DocumentOnlyFixAllFix : RenameCallFix
    {
        public override FixAllProvider? GetFixAllProvider() => FixAllProvider.Create(
            async (context, document, diagnostics) =>
            {
                var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                var names = diagnostics
                    .Select(d => root!.FindNode(d.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>()?.Expression)
                    .OfType<IdentifierNameSyntax>()
                    .ToList();
                return document.WithSyntaxRoot(root!.ReplaceNodes(names, (_, n) => n.WithIdentifier(SyntaxFactory.Identifier(n.Identifier.LeadingTrivia, "Good", n.Identifier.TrailingTrivia))));
            },
            ImmutableArray.Create(FixAllScope.Document));

        protected override (string Key, string NewName)[] Renames(string oldName) => new[] { ("Rename.Good", "Good") };
    }

    /// <summary>Offers its renames as nested actions under one group, as a light bulb submenu does.</summary>
    internal sealed class NestedActionsFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(TestDescriptors.BadCall.Id);

        public override FixAllProvider? GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var inner = new List<CodeAction>();
            var collecting = new CodeFixContext(context.Document, context.Diagnostics[0], (action, _) => inner.Add(action), context.CancellationToken);
            await new RenameToGoodFix().RegisterCodeFixesAsync(collecting).ConfigureAwait(false);
            context.RegisterCodeFix(CodeAction.Create("Rename…", inner.ToImmutableArray(), isInlinable: false), context.Diagnostics);
        }
    }
}
