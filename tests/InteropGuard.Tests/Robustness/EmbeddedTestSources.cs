using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// The C# sources the tests embed as string literals, read with the syntax API. Tests often build their source as
    /// <c>Prelude + source</c>: string constants are resolved (across files, <c>Tests.Prelude</c> too), a concatenation
    /// of constants and literals is taken whole, and a literal passed to a helper that wraps its parameter in constants
    /// is wrapped the same way, so the harvest gets the programs the tests compile rather than fragments of them.
    /// </summary>
    internal sealed class EmbeddedTestSources
    {
        private const int MaxResolveDepth = 8;

        private static readonly Regex LooksLikeCode = new Regex(@"\b(class|struct|extern|DllImport)\b", RegexOptions.CultureInvariant);

        private readonly List<(string Path, SyntaxTree Tree)> files;

        /// <summary>String constants by "Type.Name", and by "Name" within their file.</summary>
        private readonly Dictionary<string, ExpressionSyntax> qualified = new Dictionary<string, ExpressionSyntax>(StringComparer.Ordinal);

        private readonly Dictionary<(SyntaxTree, string), ExpressionSyntax> local = new Dictionary<(SyntaxTree, string), ExpressionSyntax>();

        /// <summary>Templates by "Type.Method", for helpers called from other files (<c>using static</c>, <c>Type.Check(...)</c>).</summary>
        private readonly Dictionary<string, (string Prefix, string Suffix)> typeTemplates = new Dictionary<string, (string, string)>(StringComparer.Ordinal);

        private EmbeddedTestSources(List<(string, SyntaxTree)> files)
        {
            this.files = files;
            foreach (var (_, tree) in files)
            {
                foreach (var field in tree.GetRoot().DescendantNodes().OfType<FieldDeclarationSyntax>())
                {
                    bool constant = field.Modifiers.Any(m => m.IsKind(SyntaxKind.ConstKeyword))
                        || (field.Modifiers.Any(m => m.IsKind(SyntaxKind.StaticKeyword)) && field.Modifiers.Any(m => m.IsKind(SyntaxKind.ReadOnlyKeyword)));
                    if (!constant || field.Declaration.Type.ToString() != "string" || field.Parent is not TypeDeclarationSyntax type)
                    {
                        continue;
                    }

                    foreach (var variable in field.Declaration.Variables.Where(v => v.Initializer != null))
                    {
                        qualified[type.Identifier.Text + "." + variable.Identifier.Text] = variable.Initializer!.Value;
                        local[(tree, variable.Identifier.Text)] = variable.Initializer.Value;
                    }
                }
            }

            foreach (var (_, tree) in files)
            {
                foreach (var (method, template) in MethodTemplates(tree))
                {
                    if (method.Parent is TypeDeclarationSyntax type)
                    {
                        typeTemplates.TryAdd(type.Identifier.Text + "." + method.Identifier.Text, template);
                    }
                }
            }
        }

        /// <summary>(name, text) pairs: the name is the test file and line the source starts at; markup is still in the text.</summary>
        internal static IEnumerable<(string Name, string Text)> Read(string testsDirectory, Func<string, bool> include)
        {
            var files = Directory.EnumerateFiles(testsDirectory, "*.cs", SearchOption.AllDirectories)
                .Where(include)
                .OrderBy(p => p, StringComparer.Ordinal)
                .Select(p => (Path.GetRelativePath(testsDirectory, p).Replace(Path.DirectorySeparatorChar, '/'), CSharpSyntaxTree.ParseText(File.ReadAllText(p))))
                .ToList();
            return new EmbeddedTestSources(files).Harvest();
        }

        private IEnumerable<(string Name, string Text)> Harvest()
        {
            foreach (var (path, tree) in files)
            {
                var templates = Templates(tree);
                foreach (var literal in tree.GetRoot().DescendantNodes().OfType<LiteralExpressionSyntax>())
                {
                    if (!literal.IsKind(SyntaxKind.StringLiteralExpression) || !LooksLikeCode.IsMatch(literal.Token.ValueText))
                    {
                        continue;
                    }

                    string name = $"tests/{path}:{literal.GetLocation().GetLineSpan().StartLinePosition.Line + 1}";
                    string text = literal.Token.ValueText;
                    var whole = TopOfConcatenation(literal) ?? literal;
                    if (!ReferenceEquals(whole, literal))
                    {
                        // The whole concatenation when it is all constants; the literal alone when a part is computed.
                        var resolved = Resolve(whole, tree, 0);
                        text = resolved ?? text;
                        whole = resolved == null ? literal : whole;
                    }

                    // Passed to a helper that puts constants around its parameter: wrapped the same way.
                    if (whole.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax call } }
                        && TemplateOf(call, templates, tree) is { } template)
                    {
                        text = template.Prefix + text + template.Suffix;
                    }

                    yield return (name, text);
                }
            }
        }

        /// <summary>
        /// The template of the helper a call names: one of this file's methods, a method of the type a member access names
        /// (<c>HandleOwnerLifetimeTests.Check(...)</c>), or of a type the file imports with <c>using static</c>.
        /// </summary>
        private (string Prefix, string Suffix)? TemplateOf(InvocationExpressionSyntax call, Dictionary<string, (string Prefix, string Suffix)> templates, SyntaxTree tree)
        {
            var name = CalledName(call);
            if (call.Expression is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax type })
            {
                return typeTemplates.TryGetValue(type.Identifier.Text + "." + name, out var qualifiedTemplate) ? qualifiedTemplate : null;
            }

            if (templates.TryGetValue(name, out var template))
            {
                return template;
            }

            foreach (var directive in tree.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax).OfType<UsingDirectiveSyntax>())
            {
                var imported = directive.Name switch
                {
                    QualifiedNameSyntax qualifiedName => qualifiedName.Right.Identifier.Text,
                    IdentifierNameSyntax identifier => identifier.Identifier.Text,
                    _ => null,
                };
                if (directive.StaticKeyword.IsKind(SyntaxKind.StaticKeyword) && imported != null
                    && typeTemplates.TryGetValue(imported + "." + name, out var importedTemplate))
                {
                    return importedTemplate;
                }
            }

            return null;
        }

        /// <summary>
        /// Per method name of this file: the constants its body puts around a parameter (<c>Prelude + source</c>,
        /// <c>Usings + source + Native</c>), the first such concatenation found.
        /// </summary>
        private Dictionary<string, (string Prefix, string Suffix)> Templates(SyntaxTree tree)
        {
            var templates = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
            foreach (var (method, template) in MethodTemplates(tree))
            {
                templates.TryAdd(method.Identifier.Text, template);
            }

            return templates;
        }

        /// <summary>Each method of the tree with the constants its body puts around a parameter, the first such concatenation found.</summary>
        private IEnumerable<(MethodDeclarationSyntax Method, (string Prefix, string Suffix) Template)> MethodTemplates(SyntaxTree tree)
        {
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                var parameters = method.ParameterList.Parameters.Select(p => p.Identifier.Text).ToHashSet(StringComparer.Ordinal);
                foreach (var add in method.DescendantNodes().OfType<BinaryExpressionSyntax>().Where(b => b.IsKind(SyntaxKind.AddExpression) && !IsAdd(b.Parent)))
                {
                    var parts = Operands(add).ToList();
                    int hole = parts.FindIndex(p => p is IdentifierNameSyntax id && parameters.Contains(id.Identifier.Text));
                    if (hole < 0)
                    {
                        continue;
                    }

                    var prefix = parts.Take(hole).Select(p => Resolve(p, tree, 0)).ToList();
                    var suffix = parts.Skip(hole + 1).Select(p => Resolve(p, tree, 0)).ToList();
                    if (prefix.Concat(suffix).All(p => p != null))
                    {
                        yield return (method, (string.Concat(prefix), string.Concat(suffix)));
                        break;
                    }
                }
            }
        }

        private string? Resolve(ExpressionSyntax expression, SyntaxTree tree, int depth)
        {
            if (depth > MaxResolveDepth)
            {
                return null;
            }

            switch (expression)
            {
                case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression):
                    return literal.Token.ValueText;
                case ParenthesizedExpressionSyntax parenthesized:
                    return Resolve(parenthesized.Expression, tree, depth + 1);
                case BinaryExpressionSyntax add when add.IsKind(SyntaxKind.AddExpression):
                    var left = Resolve(add.Left, tree, depth + 1);
                    var right = left == null ? null : Resolve(add.Right, tree, depth + 1);
                    return right == null ? null : left + right;
                case IdentifierNameSyntax identifier:
                    return local.TryGetValue((tree, identifier.Identifier.Text), out var value)
                        ? Resolve(value, value.SyntaxTree, depth + 1)
                        : null;
                case MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax type } member:
                    return qualified.TryGetValue(type.Identifier.Text + "." + member.Name.Identifier.Text, out var target)
                        ? Resolve(target, target.SyntaxTree, depth + 1)
                        : null;
                default:
                    return null;
            }
        }

        private static ExpressionSyntax? TopOfConcatenation(ExpressionSyntax expression)
        {
            var top = expression;
            while (IsAdd(top.Parent) || top.Parent is ParenthesizedExpressionSyntax)
            {
                top = (ExpressionSyntax)top.Parent!;
            }

            return top;
        }

        private static IEnumerable<ExpressionSyntax> Operands(ExpressionSyntax expression) =>
            expression is BinaryExpressionSyntax add && add.IsKind(SyntaxKind.AddExpression)
                ? Operands(add.Left).Concat(Operands(add.Right))
                : new[] { expression };

        private static bool IsAdd(SyntaxNode? node) => node is BinaryExpressionSyntax b && b.IsKind(SyntaxKind.AddExpression);

        private static string CalledName(InvocationExpressionSyntax call) => call.Expression switch
        {
            IdentifierNameSyntax id => id.Identifier.Text,
            GenericNameSyntax generic => generic.Identifier.Text,
            MemberAccessExpressionSyntax member => member.Name.Identifier.Text,
            _ => string.Empty,
        };
    }
}
