using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Meta
{
    public class DescriptorTests
    {
        public static IEnumerable<object[]> Ids => ProductCatalog.AllDescriptors.Select(d => new object[] { d.Id });

        internal static DiagnosticDescriptor Descriptor(string id) => ProductCatalog.AllDescriptors.Single(d => d.Id == id);

        [Fact]
        public void TheRulesOfThisReleaseHaveDescriptors()
        {
            var ids = ProductCatalog.AllDescriptors.Select(d => d.Id).ToList();
            Assert.Contains("IG0001", ids);
            Assert.Contains("IG3001", ids);
        }

        [Fact]
        public void IdsAreWellFormedAndUnique()
        {
            var ids = ProductCatalog.AllDescriptors.Select(d => d.Id).ToList();
            Assert.All(ids, id => Assert.Matches(new Regex("^IG[0-9]{4}$"), id));
            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void HelpLinkIsDerivedFromTheId(string id)
        {
            Assert.Equal(global::InteropGuard.Descriptors.HelpLink(id), Descriptor(id).HelpLinkUri);
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void CategoryIsOneOfTheRuleFamilies(string id)
        {
            var categories = typeof(global::InteropGuard.Descriptors.Categories)
                .GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(f => f.IsLiteral)
                .Select(f => (string)f.GetRawConstantValue()!)
                .ToList();
            Assert.Contains(Descriptor(id).Category, categories);
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void TitleAndMessageAreWritten(string id)
        {
            var descriptor = Descriptor(id);
            var title = descriptor.Title.ToString();
            Assert.False(string.IsNullOrWhiteSpace(title), $"{id} has no title");
            Assert.False(title.EndsWith(".", StringComparison.Ordinal), $"{id}: a title is a heading, not a sentence: '{title}'");
            Assert.False(string.IsNullOrWhiteSpace(descriptor.MessageFormat.ToString()), $"{id} has no message");
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString()), $"{id} has no description");
        }
    }
}
