using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Baseline
{
    /// <summary>
    /// The identity of a finding in a baseline file: rule id, file relative to the baseline's folder, containing member
    /// and message, one tab-separated line. No line or column, so edits elsewhere in the file do not resurrect a
    /// baselined finding; the messages name the owner, handle and native function, which tells findings of one member
    /// apart. This one file is compiled into the analyzer (the suppressor) and into the <c>interopguard</c> command
    /// (which writes the baseline), so the two can never compute a key differently.
    /// </summary>
    internal static class BaselineKey
    {
        /// <summary>The file the build picks up from the project's folder or any folder above it.</summary>
        public const string DefaultFileName = "interopguard.baseline.txt";

        /// <summary>The MSBuild property, visible to the compiler, holding the full path of the baseline in use.</summary>
        public const string FileProperty = "InteropGuardBaselineFile";

        public const char Separator = '\t';

        public const string CommentPrefix = "#";

        /// <summary>The key line of a finding. <paramref name="root"/> is the syntax of <paramref name="filePath"/>, null for a finding without a source location.</summary>
        public static string For(string ruleId, string? filePath, string baselineDirectory, SyntaxNode? root, int position, string message)
        {
            var file = string.IsNullOrEmpty(filePath) ? string.Empty : RelativePath(baselineDirectory, filePath!);
            var member = root == null ? string.Empty : ContainingMember(root, position);
            return ruleId + Separator + file + Separator + member + Separator + OneLine(message);
        }

        /// <summary>
        /// "Namespace.Type.Member(ParameterTypes)" of the declaration around <paramref name="position"/>, from syntax
        /// alone (the command has no compilation). Lambdas and local functions belong to the member that holds them.
        /// </summary>
        public static string ContainingMember(SyntaxNode root, int position)
        {
            if (position < 0 || position > root.FullSpan.End || root.FullSpan.Length == 0)
            {
                return string.Empty;
            }

            // The end of the text is no token's start; the last character belongs to the last token.
            position = Math.Min(position, root.FullSpan.End - 1);

            var token = root.FindToken(position, findInsideTrivia: false);
            var names = new List<string>();
            string? member = null;
            for (var node = token.Parent; node != null; node = node.Parent)
            {
                switch (node)
                {
                    case BaseTypeDeclarationSyntax type:
                        names.Add(type.Identifier.ValueText + Arity((type as TypeDeclarationSyntax)?.TypeParameterList));
                        break;
                    case DelegateDeclarationSyntax @delegate:
                        names.Add(@delegate.Identifier.ValueText + Arity(@delegate.TypeParameterList));
                        break;
                    case BaseNamespaceDeclarationSyntax ns:
                        names.Add(ns.Name.ToString());
                        break;
                    case MemberDeclarationSyntax declaration when member == null:
                        member = MemberName(declaration);
                        break;
                }
            }

            names.Reverse();
            if (member != null)
            {
                names.Add(member);
            }

            return string.Join(".", names.Where(n => n.Length > 0));
        }

        /// <summary>The path of <paramref name="filePath"/> from <paramref name="directory"/>, with '/' separators ("../" when outside it).</summary>
        public static string RelativePath(string directory, string filePath)
        {
            var from = Segments(directory);
            var to = Segments(filePath);
            // Windows paths (a drive letter first) compare without case, as the file system does.
            var comparison = to.Count > 0 && IsDrive(to[0]) ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            var common = 0;
            while (common < from.Count && common < to.Count - 1 && string.Equals(from[common], to[common], comparison))
            {
                common++;
            }

            if (common == 0 && from.Count > 0 && to.Count > 0 && (IsDrive(from[0]) || IsDrive(to[0])))
            {
                // Different roots (another drive): the absolute path is the only stable name.
                return string.Join("/", to);
            }

            var parts = Enumerable.Repeat("..", from.Count - common).Concat(to.Skip(common));
            return string.Join("/", parts);
        }

        /// <summary>Messages never hold line breaks or tabs today; a future one must not break the line format.</summary>
        public static string OneLine(string text)
        {
            if (text.IndexOfAny(new[] { '\t', '\r', '\n' }) < 0)
            {
                return text;
            }

            var builder = new StringBuilder(text.Length);
            foreach (var c in text)
            {
                builder.Append(c == '\t' || c == '\r' || c == '\n' ? ' ' : c);
            }

            return builder.ToString();
        }

        /// <summary>The key lines of a baseline file's text: comments and blank lines are skipped.</summary>
        public static IEnumerable<string> ReadKeys(IEnumerable<string> lines)
        {
            foreach (var raw in lines)
            {
                var line = raw.TrimEnd('\r');
                if (line.Length == 0 || line.StartsWith(CommentPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                yield return line;
            }
        }

        private static bool IsDrive(string segment) => segment.EndsWith(":", StringComparison.Ordinal);

        private static List<string> Segments(string path)
            => path.Replace('\\', '/').Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();

        private static string Arity(TypeParameterListSyntax? typeParameters)
            => typeParameters == null || typeParameters.Parameters.Count == 0 ? string.Empty : "`" + typeParameters.Parameters.Count;

        private static string MemberName(MemberDeclarationSyntax declaration)
        {
            switch (declaration)
            {
                case MethodDeclarationSyntax method:
                    return method.Identifier.ValueText + Arity(method.TypeParameterList) + Parameters(method.ParameterList);
                case ConstructorDeclarationSyntax constructor:
                    return (constructor.Modifiers.Any(m => m.ValueText == "static") ? ".cctor" : ".ctor") + Parameters(constructor.ParameterList);
                case DestructorDeclarationSyntax _:
                    return "Finalize()";
                case OperatorDeclarationSyntax @operator:
                    return "operator " + @operator.OperatorToken.ValueText + Parameters(@operator.ParameterList);
                case ConversionOperatorDeclarationSyntax conversion:
                    return "operator " + conversion.ImplicitOrExplicitKeyword.ValueText + " " + Compact(conversion.Type.ToString()) + Parameters(conversion.ParameterList);
                case PropertyDeclarationSyntax property:
                    return property.Identifier.ValueText;
                case IndexerDeclarationSyntax indexer:
                    return "this[" + string.Join(",", indexer.ParameterList.Parameters.Select(p => Compact(p.Type?.ToString() ?? string.Empty))) + "]";
                case EventDeclarationSyntax @event:
                    return @event.Identifier.ValueText;
                case BaseFieldDeclarationSyntax field:
                    return string.Join(",", field.Declaration.Variables.Select(v => v.Identifier.ValueText));
                case EnumMemberDeclarationSyntax enumMember:
                    return enumMember.Identifier.ValueText;
                default:
                    return string.Empty;
            }
        }

        private static string Parameters(ParameterListSyntax? parameters)
            => parameters == null ? "()" : "(" + string.Join(",", parameters.Parameters.Select(p => Compact(p.Type?.ToString() ?? string.Empty))) + ")";

        /// <summary>Type syntax without whitespace, so reformatting a signature keeps its key.</summary>
        private static string Compact(string text) => new string(text.Where(c => !char.IsWhiteSpace(c)).ToArray());
    }
}
