using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>
    /// A harness-only analyzer (<c>--prebind</c>) that binds every body of the compilation, and builds its operation tree,
    /// in its compilation-start action, before any other analyzer's per-body work. The driver's semantic models are shared
    /// and cache what they bind, so afterwards a body that an analyzer asks about from another body's callback (a wrapper's
    /// body, a constructor's chain) is already bound: that analyzer's charged time is then its own computation only, without
    /// the binding that whoever asked first would otherwise pay and that the driver does for every body anyway.
    /// Its own time is charged to neither set.
    /// </summary>
    // RS1030 is the point of this analyzer (it binds on purpose); RS1036/RS1041 are about shipping analyzers, and this
    // one only ever runs inside the harness's own process.
#pragma warning disable RS1030, RS1036, RS1041
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    internal sealed class PreBinder : DiagnosticAnalyzer
    {
        public static readonly PreBinder Instance = new PreBinder();

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray<DiagnosticDescriptor>.Empty;

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterCompilationStartAction(start =>
            {
                foreach (SyntaxTree tree in start.Compilation.SyntaxTrees)
                {
                    SemanticModel model = start.Compilation.GetSemanticModel(tree);
                    SyntaxNode root = tree.GetRoot(start.CancellationToken);
                    if (root is CompilationUnitSyntax unit && unit.Members.Any(SyntaxKind.GlobalStatement))
                    {
                        model.GetOperation(unit, start.CancellationToken);
                    }

                    foreach (SyntaxNode node in root.DescendantNodes(descendIntoChildren: node => node is not BlockSyntax && node is not ArrowExpressionClauseSyntax))
                    {
                        SyntaxNode? owner = node switch
                        {
                            BaseMethodDeclarationSyntax method when method.Body != null || method.ExpressionBody != null => method,
                            AccessorDeclarationSyntax accessor when accessor.Body != null || accessor.ExpressionBody != null => accessor,
                            PropertyDeclarationSyntax { ExpressionBody: { } body } => body,
                            IndexerDeclarationSyntax { ExpressionBody: { } body } => body,
                            PropertyDeclarationSyntax { Initializer: { } initializer } => initializer,
                            VariableDeclaratorSyntax { Initializer: { } initializer, Parent.Parent: FieldDeclarationSyntax } => initializer,
                            _ => null,
                        };
                        if (owner != null)
                        {
                            model.GetOperation(owner, start.CancellationToken);
                        }
                    }
                }
            });
        }
    }
#pragma warning restore RS1030, RS1036, RS1041
}
