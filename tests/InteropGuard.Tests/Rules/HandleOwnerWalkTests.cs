using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using InteropGuard.Rules;
using InteropGuard.Tests.Meta;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001's walks of every body pass over operations of the kinds <see cref="OperationTree.HasNoChildren"/>
    /// names without asking for their child lists. That is the same walk only if no operation of those kinds ever has a
    /// child: checked on every body of a real code base (the analyzer's own sources), where each of the kinds occurs.
    /// </summary>
    public class HandleOwnerWalkTests
    {
        [Fact]
        public void OperationsOfTheSkippedKindsHaveNoChildOperations()
        {
            var project = RepositoryRoot.Combine("src", "InteropGuard");
            var parse = new CSharpParseOptions(LanguageVersion.Latest);
            var trees = Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
                .Where(p => !p.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                            && !p.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .Select(p => CSharpSyntaxTree.ParseText(File.ReadAllText(p), parse, p))
                .ToList();
            var references = ReferenceAssemblies.Framework
                .Add(MetadataReference.CreateFromFile(typeof(SyntaxNode).Assembly.Location))
                .Add(MetadataReference.CreateFromFile(typeof(CSharpSyntaxTree).Assembly.Location));
            var compilation = CSharpCompilation.Create("Walked", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));

            var seen = new HashSet<OperationKind>();
            var withChildren = new List<string>();
            foreach (var tree in compilation.SyntaxTrees)
            {
                var model = compilation.GetSemanticModel(tree);
                foreach (var body in tree.GetRoot().DescendantNodes().Where(n => n is BlockSyntax { Parent: BaseMethodDeclarationSyntax or AccessorDeclarationSyntax } or ArrowExpressionClauseSyntax))
                {
                    if (model.GetOperation(body) is not { } root)
                    {
                        continue;
                    }

                    foreach (var operation in root.DescendantsAndSelf())
                    {
                        if (!OperationTree.HasNoChildren(operation.Kind))
                        {
                            continue;
                        }

                        seen.Add(operation.Kind);
                        if (operation.ChildOperations.Any())
                        {
                            withChildren.Add(operation.Kind + ": " + operation.Syntax);
                        }
                    }
                }
            }

            Assert.Empty(withChildren);
            Assert.Equal(
                new[] { OperationKind.LocalReference, OperationKind.ParameterReference, OperationKind.InstanceReference, OperationKind.Literal, OperationKind.DefaultValue, OperationKind.Branch }.OrderBy(k => k),
                seen.OrderBy(k => k));
        }
    }
}
